# npwatch — one Makefile, out-of-tree build into build/.
#
#   make            build the daemon/CLI, BPF objects and skeletons
#   make test       install dependencies, build, run unit (plain and
#                   ASan+UBSan) and end-to-end tests
#   make demo       the built-in lab: observe, judge, report
#   make bench      benchmarks (ratios measured in one run)
#   make clean      remove build/

BUILD     ?= build
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/')
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS      := libbpf jansson yaml-0.1 zlib libcurl
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude -Iuser -I$(BUILD) \
             -DNPWATCH_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS))
LDLIBS    := $(shell pkg-config --libs $(PKGS)) -lelf -lz
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

USER_SRCS := $(wildcard user/*.c)
LIB_SRCS  := $(filter-out user/main.c,$(USER_SRCS))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
SAN_OBJS  := $(patsubst user/%.c,$(BUILD)/san/%.o,$(LIB_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
SAN_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests-san/%,$(UNIT_SRCS))
UNIT_HELPERS := $(wildcard tests/unit/helpers/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

# Quiet by default, as libbpf-bootstrap does; `make V=1` shows the commands.
ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all clean deps test unit unit-san e2e demo bench lab-up lab-down
.DELETE_ON_ERROR:
# Objects are linked into several programs; keep them between runs.
.SECONDARY: $(LIB_OBJS) $(SAN_OBJS) $(BUILD)/obj/main.o $(BPF_OBJS) $(SKELS) $(BUILD)/vmlinux.h

all: $(BUILD)/npwatch

$(BUILD) $(BUILD)/obj $(BUILD)/san $(BUILD)/tests $(BUILD)/tests-san $(BUILD)/bench:
	@mkdir -p $@

# ---- kernel side -------------------------------------------------------------
$(BUILD)/vmlinux.h: | $(BUILD)
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard include/*.h bpf/*.h) $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
		-Iinclude -I$(BUILD) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# ---- userspace ---------------------------------------------------------------
$(BUILD)/obj/%.o: user/%.c $(wildcard user/*.h include/*.h) $(SKELS) | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: user/%.c $(wildcard user/*.h include/*.h) $(SKELS) | $(BUILD)/san
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/npwatch: $(BUILD)/obj/main.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# ---- tests -------------------------------------------------------------------
$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HELPERS) $(LIB_OBJS) $(wildcard tests/unit/*.h) | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $< $(UNIT_HELPERS) $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests-san/%: tests/unit/%.c $(UNIT_HELPERS) $(SAN_OBJS) $(wildcard tests/unit/*.h) | $(BUILD)/tests-san
	$(call msg,TEST-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests/unit $< $(UNIT_HELPERS) $(SAN_OBJS) $(LDLIBS) -lcmocka -o $@

deps:
	@scripts/install-deps.sh

unit: $(UNIT_BINS)
	@scripts/run-tests.sh unit $(UNIT_BINS)

unit-san: $(SAN_BINS)
	@scripts/run-tests.sh unit-asan-ubsan $(SAN_BINS)

e2e: $(BUILD)/npwatch
	@scripts/run-tests.sh e2e $(wildcard tests/e2e/test_*.sh)

# Each step runs even when an earlier one failed, so one run shows every
# failure; the summary line and exit status cover all of them.
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(SAN_BINS)
	@scripts/run-tests.sh all $(UNIT_BINS) $(SAN_BINS) $(wildcard tests/e2e/test_*.sh)

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

$(BUILD)/bench/%: bench/%.c $(LIB_OBJS) | $(BUILD)/bench
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIB_OBJS) $(LDLIBS) -ldl -lpthread -o $@

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@scripts/bench.sh

clean:
	rm -rf $(BUILD)
