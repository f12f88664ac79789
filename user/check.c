/* check — `npwatch check`: offline evaluation of probes against manifests.
 *
 * One probe from flags, or many from a JSON-lines file: each answered in
 * order with its verdict and explanation. A probe that carries "expect"
 * turns the run into a connectivity assertion suite for CI: mismatches are
 * printed, then "N passed, M failed", and the exit status is 1 on any
 * failure.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "engine.h"
#include "explain.h"
#include "resolve.h"

enum output_format { OUTPUT_AUTO, OUTPUT_TEXT, OUTPUT_JSON };

struct check_options {
	struct np_path_list files;
	struct np_path_list staged;
	const char *default_ns;
	const char *probes_path;
	const char *from;
	const char *to;
	const char *port;
	const char *protocol;
	enum output_format output;
};

/* What a run has seen, for the summary and the exit status. */
struct check_tally {
	unsigned expectations_passed;
	unsigned expectations_failed;
	unsigned bad_probes;
};

struct check_context {
	const struct np_model *model;
	enum np_policy_scope scope;
	enum output_format output;
	FILE *report; /* where mismatches and the summary go */
	struct check_tally tally;
};

struct probe {
	const char *from;
	const char *to;
	unsigned port;
	enum np_proto proto;
	const char *expect; /* "allow", "deny" or NULL */
};

static const char check_usage[] =
	"Usage: npwatch check -f PATH... [--staged PATH]... [-n NAMESPACE]\n"
	"                     (--from X --to Y --port P [--protocol T] | --probes FILE|-)\n"
	"                     [-o text|json]\n"
	"\n"
	"Judges flows against the NetworkPolicies in Kubernetes manifests, offline.\n"
	"\n"
	"  -f, --filename PATH   manifests: a YAML or JSON file, a folder (recursing\n"
	"                        *.yaml, *.yml, *.json) or - for stdin; repeatable.\n"
	"                        `kubectl get ns,pods,svc,endpointslices,nodes,netpol\n"
	"                        -A -o json` output loads as it is\n"
	"      --staged PATH     policies about to be applied: judge as if they were\n"
	"                        (a staged policy replaces one of the same name)\n"
	"  -n, --namespace NS    namespace of objects that state none (default: default)\n"
	"      --from X          source: namespace/pod or an IP\n"
	"      --to Y            destination: namespace/pod, namespace/service, or an IP\n"
	"                        (a Service or ClusterIP is judged backend by backend)\n"
	"      --port P          destination port (a Service's port for a Service)\n"
	"      --protocol T      TCP (default), UDP or SCTP\n"
	"      --probes FILE|-   JSON lines, one probe each:\n"
	"                        {\"from\":\"x/a\",\"to\":\"y/b\",\"port\":80,\"protocol\":\"TCP\"}\n"
	"                        with an optional \"expect\":\"allow\"|\"deny\"\n"
	"  -o, --output FORMAT   text (default for one probe) or json (default for --probes)\n"
	"  -h, --help            this help\n"
	"\n"
	"Each answer has the probe's fields plus verdict, egress and ingress (allow or\n"
	"deny; partial for a Service whose backends differ) and the explanation.\n"
	"With expectations, mismatches and a closing \"N passed, M failed\" line go to\n"
	"stdout in text mode and to stderr in json mode.\n"
	"\n"
	"Exit status: 0 done, 1 an expectation failed, 2 bad usage or bad input.\n";

static int parse_options(int argc, char **argv, struct check_options *opts)
{
	static const struct option longopts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "staged", required_argument, NULL, 'S' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "port", required_argument, NULL, 'P' },
		{ "protocol", required_argument, NULL, 'R' },
		{ "probes", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:n:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': np_path_list_add(&opts->files, optarg); break;
		case 'S': np_path_list_add(&opts->staged, optarg); break;
		case 'n': opts->default_ns = optarg; break;
		case 'F': opts->from = optarg; break;
		case 'T': opts->to = optarg; break;
		case 'P': opts->port = optarg; break;
		case 'R': opts->protocol = optarg; break;
		case 'p': opts->probes_path = optarg; break;
		case 'o':
			if (strcmp(optarg, "text") == 0)
				opts->output = OUTPUT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				opts->output = OUTPUT_JSON;
			else
				return np_cli_usage_error("check", "-o %s: expected text or json", optarg);
			break;
		case 'h': fputs(check_usage, stdout); exit(NP_EXIT_OK);
		default: return np_cli_usage_error("check", "bad option");
		}
	}
	if (optind < argc)
		return np_cli_usage_error("check", "unexpected argument \"%s\" (manifests go after -f)",
					  argv[optind]);
	if (opts->files.count == 0)
		return np_cli_usage_error("check", "no manifests: give at least one -f PATH");
	if (!opts->probes_path && !(opts->from && opts->to && opts->port))
		return np_cli_usage_error("check", "give --from, --to and --port, or --probes FILE");
	if (opts->probes_path && (opts->from || opts->to || opts->port || opts->protocol))
		return np_cli_usage_error("check", "--probes and --from/--to/--port/--protocol exclude each other");
	return NP_EXIT_OK;
}

/* ---- one probe ---------------------------------------------------------------- */

static json_t *error_answer(json_t *answer, const char *message)
{
	json_object_set_new(answer, "error", json_string(message));
	return answer;
}

static json_t *judge_flow(struct check_context *ctx, const struct np_flow *flow, FILE *text)
{
	struct np_verdict verdict;

	np_evaluate(ctx->model, flow, ctx->scope, &verdict);
	if (text)
		np_explain_text(text, flow, &verdict);
	return np_explain_json(flow, &verdict);
}

static const char *aggregate(size_t allowed, size_t total)
{
	if (allowed == total)
		return "allow";
	return allowed == 0 ? "deny" : "partial";
}

struct backend_verdict {
	struct np_flow flow;
	struct np_verdict verdict;
};

struct backend_counts {
	size_t allowed, egress_allowed, ingress_allowed;
};

static void count_backend(struct backend_counts *counts, const struct np_verdict *verdict)
{
	counts->allowed += verdict->allowed;
	counts->egress_allowed += verdict->egress.allowed;
	counts->ingress_allowed += verdict->ingress.allowed;
}

static void service_header(FILE *text, const struct np_endpoint *src, const struct np_service *svc,
			   const struct probe *probe, const char *verdict, size_t n_backends)
{
	char from[256];

	if (!text)
		return;
	np_endpoint_format(src, from, sizeof(from));
	fprintf(text, "%s -> service %s/%s %u/%s: %s (%zu backend%s)\n", from, svc->namespace_name,
		svc->name, probe->port, np_proto_name(probe->proto), verdict, n_backends,
		n_backends == 1 ? "" : "s");
}

static void upper(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ? src[i] - 'a' + 'A' : src[i]);
	dst[i] = '\0';
}

static json_t *judge_service(struct check_context *ctx, const struct np_endpoint *src,
			     const struct np_service *svc, const struct probe *probe,
			     json_t *answer, FILE *text)
{
	const struct np_service_port *sp = np_service_port_for(svc, (uint16_t)probe->port, probe->proto);
	struct backend_counts counts = { 0 };
	struct np_backend *backends;
	struct backend_verdict *judged;
	size_t n;
	json_t *list;
	char verdict[16], message[512];

	if (!sp) {
		snprintf(message, sizeof(message), "service %s/%s has no port %u/%s",
			 svc->namespace_name, svc->name, probe->port, np_proto_name(probe->proto));
		return error_answer(answer, message);
	}
	n = np_service_backends(ctx->model, svc, sp, NULL, 0);
	if (n == 0) {
		snprintf(message, sizeof(message), "service %s/%s has no ready backends for %u/%s",
			 svc->namespace_name, svc->name, probe->port, np_proto_name(probe->proto));
		return error_answer(answer, message);
	}
	backends = calloc(n, sizeof(*backends));
	judged = calloc(n, sizeof(*judged));
	if (!backends || !judged) {
		free(backends);
		free(judged);
		return error_answer(answer, "out of memory");
	}
	np_service_backends(ctx->model, svc, sp, backends, n);

	list = json_array();
	for (size_t i = 0; i < n; i++) {
		struct backend_verdict *b = &judged[i];
		json_t *item;
		char name[256];

		b->flow = (struct np_flow){ .src = *src, .dst = backends[i].end,
					    .port = backends[i].port, .proto = probe->proto };
		np_evaluate(ctx->model, &b->flow, ctx->scope, &b->verdict);
		count_backend(&counts, &b->verdict);
		item = np_explain_json(&b->flow, &b->verdict);
		np_endpoint_format(&backends[i].end, name, sizeof(name));
		json_object_set_new(item, "backend", json_string(name));
		json_object_set_new(item, "target_port", json_integer(backends[i].port));
		json_array_append_new(list, item);
	}
	json_object_set_new(answer, "service", json_sprintf("%s/%s", svc->namespace_name, svc->name));
	json_object_set_new(answer, "verdict", json_string(aggregate(counts.allowed, n)));
	json_object_set_new(answer, "egress", json_string(aggregate(counts.egress_allowed, n)));
	json_object_set_new(answer, "ingress", json_string(aggregate(counts.ingress_allowed, n)));
	json_object_set_new(answer, "backends", list);

	/* The text names the overall verdict first, so it comes after all are judged. */
	upper(verdict, aggregate(counts.allowed, n), sizeof(verdict));
	service_header(text, src, svc, probe, verdict, n);
	for (size_t i = 0; text && i < n; i++)
		np_explain_text(text, &judged[i].flow, &judged[i].verdict);
	free(judged);
	free(backends);
	return answer;
}

static json_t *answer_probe(struct check_context *ctx, const struct probe *probe, json_t *answer,
			    FILE *text)
{
	struct np_target from, to;
	char err[512];

	if (np_resolve_name(ctx->model, probe->from, &from, err, sizeof(err)) != 0 ||
	    np_resolve_name(ctx->model, probe->to, &to, err, sizeof(err)) != 0)
		return error_answer(answer, err);
	if (from.service) {
		snprintf(err, sizeof(err), "from: %s is a Service; a flow starts at a pod or an address",
			 probe->from);
		return error_answer(answer, err);
	}
	if (to.service)
		return judge_service(ctx, &from.end, to.service, probe, answer, text);

	struct np_flow flow = { .src = from.end, .dst = to.end, .port = (uint16_t)probe->port,
				.proto = probe->proto };
	json_t *judged = judge_flow(ctx, &flow, text);

	json_object_update(answer, judged);
	json_decref(judged);
	return answer;
}

/* ---- expectations --------------------------------------------------------------- */

/* Why, in the words of the explanation: per direction, per backend for a
 * Service. */
static void print_reasons(FILE *out, json_t *answer, const char *indent)
{
	json_t *backends = json_object_get(answer, "backends");
	json_t *explanation = json_object_get(answer, "explanation");
	size_t i;
	json_t *backend;

	json_array_foreach(backends, i, backend) {
		fprintf(out, "%sbackend %s: %s\n", indent,
			json_string_value(json_object_get(backend, "backend")),
			json_string_value(json_object_get(backend, "verdict")));
		print_reasons(out, backend, "    ");
	}
	if (!explanation)
		return;
	fprintf(out, "%segress  %s: %s\n", indent,
		json_string_value(json_object_get(json_object_get(explanation, "egress"), "endpoint")),
		json_string_value(json_object_get(json_object_get(explanation, "egress"), "reason")));
	fprintf(out, "%singress %s: %s\n", indent,
		json_string_value(json_object_get(json_object_get(explanation, "ingress"), "endpoint")),
		json_string_value(json_object_get(json_object_get(explanation, "ingress"), "reason")));
}

static void check_expectation(struct check_context *ctx, const struct probe *probe,
			      json_t *answer, size_t line)
{
	const char *verdict = json_string_value(json_object_get(answer, "verdict"));

	if (!probe->expect)
		return;
	if (verdict && strcmp(verdict, probe->expect) == 0) {
		ctx->tally.expectations_passed++;
		return;
	}
	ctx->tally.expectations_failed++;
	fprintf(ctx->report, "FAIL line %zu: %s -> %s %u/%s: expected %s, got %s\n", line,
		probe->from, probe->to, probe->port, np_proto_name(probe->proto), probe->expect,
		verdict ? verdict : json_string_value(json_object_get(answer, "error")));
	print_reasons(ctx->report, answer, "  ");
}

/* ---- probe sources ---------------------------------------------------------------- */

static int probe_from_json(json_t *obj, struct probe *probe, char *err, size_t len)
{
	json_t *port = json_object_get(obj, "port");
	json_t *proto = json_object_get(obj, "protocol");
	json_t *expect = json_object_get(obj, "expect");

	memset(probe, 0, sizeof(*probe));
	probe->from = json_string_value(json_object_get(obj, "from"));
	probe->to = json_string_value(json_object_get(obj, "to"));
	if (!probe->from || !probe->to) {
		snprintf(err, len, "a probe needs \"from\" and \"to\" as strings");
		return -1;
	}
	if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535) {
		snprintf(err, len, "\"port\" must be a number from 1 to 65535");
		return -1;
	}
	probe->port = (unsigned)json_integer_value(port);
	probe->proto = NP_PROTO_TCP;
	if (proto && (!json_is_string(proto) || !np_proto_parse(json_string_value(proto), &probe->proto))) {
		snprintf(err, len, "\"protocol\" must be TCP, UDP or SCTP");
		return -1;
	}
	if (expect) {
		probe->expect = json_string_value(expect);
		if (!probe->expect || (strcmp(probe->expect, "allow") && strcmp(probe->expect, "deny"))) {
			snprintf(err, len, "\"expect\" must be \"allow\" or \"deny\"");
			return -1;
		}
	}
	return 0;
}

static void emit(struct check_context *ctx, json_t *answer, FILE *text)
{
	if (ctx->output == OUTPUT_JSON) {
		json_dumpf(answer, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else if (json_object_get(answer, "error")) {
		const char *from = json_string_value(json_object_get(answer, "from"));
		const char *to = json_string_value(json_object_get(answer, "to"));

		json_t *line = json_object_get(answer, "line");

		if (line)
			fprintf(text, "line %" JSON_INTEGER_FORMAT ": ", json_integer_value(line));
		/* A line that is not a probe has no ends to name. */
		if (from && to)
			fprintf(text, "%s -> %s: ", from, to);
		fprintf(text, "error: %s\n", json_string_value(json_object_get(answer, "error")));
	}
	fflush(stdout);
}

static void run_probe_line(struct check_context *ctx, const char *line, size_t line_no)
{
	FILE *text = ctx->output == OUTPUT_TEXT ? stdout : NULL;
	json_error_t jerr;
	json_t *answer = json_loads(line, 0, &jerr);
	struct probe probe;
	char err[512];

	if (!json_is_object(answer)) {
		json_decref(answer);
		answer = json_object();
		json_object_set_new(answer, "line", json_integer((json_int_t)line_no));
		snprintf(err, sizeof(err), "not a JSON object: %s",
			 jerr.text[0] ? jerr.text : "expected {...}");
		ctx->tally.bad_probes++;
		emit(ctx, error_answer(answer, err), text);
		json_decref(answer);
		return;
	}
	if (probe_from_json(answer, &probe, err, sizeof(err)) != 0) {
		json_object_set_new(answer, "line", json_integer((json_int_t)line_no));
		ctx->tally.bad_probes++;
		emit(ctx, error_answer(answer, err), text);
		json_decref(answer);
		return;
	}
	answer_probe(ctx, &probe, answer, text);
	if (json_object_get(answer, "error")) {
		json_object_set_new(answer, "line", json_integer((json_int_t)line_no));
		ctx->tally.bad_probes++;
	}
	emit(ctx, answer, text);
	check_expectation(ctx, &probe, answer, line_no);
	json_decref(answer);
}

static bool blank(const char *line)
{
	return line[strspn(line, " \t\r\n")] == '\0';
}

static int run_probe_file(struct check_context *ctx, const char *path)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, line_no = 0;

	if (!in) {
		fprintf(stderr, "npwatch check: %s: cannot open probes: %m\n", path);
		return NP_EXIT_USAGE;
	}
	while (getline(&line, &cap, in) != -1) {
		line_no++;
		if (!blank(line))
			run_probe_line(ctx, line, line_no);
	}
	free(line);
	if (in != stdin)
		fclose(in);
	return NP_EXIT_OK;
}

static int run_flag_probe(struct check_context *ctx, const struct check_options *opts)
{
	FILE *text = ctx->output == OUTPUT_TEXT ? stdout : NULL;
	struct probe probe = { .from = opts->from, .to = opts->to, .proto = NP_PROTO_TCP };
	json_t *answer;

	if (!np_cli_parse_port(opts->port, &probe.port))
		return np_cli_usage_error("check", "--port %s: expected a number from 1 to 65535",
					  opts->port);
	if (opts->protocol && !np_proto_parse(opts->protocol, &probe.proto))
		return np_cli_usage_error("check", "--protocol %s: expected TCP, UDP or SCTP",
					  opts->protocol);
	answer = json_pack("{s:s, s:s, s:i, s:s}", "from", probe.from, "to", probe.to, "port",
			   (int)probe.port, "protocol", np_proto_name(probe.proto));
	answer_probe(ctx, &probe, answer, text);
	if (json_object_get(answer, "error"))
		ctx->tally.bad_probes++;
	emit(ctx, answer, text ? stderr : NULL);
	json_decref(answer);
	return NP_EXIT_OK;
}

static int finish(struct check_context *ctx)
{
	unsigned total = ctx->tally.expectations_passed + ctx->tally.expectations_failed;

	if (total > 0)
		fprintf(ctx->report, "%u passed, %u failed\n", ctx->tally.expectations_passed,
			ctx->tally.expectations_failed);
	if (ctx->tally.bad_probes > 0)
		return NP_EXIT_USAGE;
	return ctx->tally.expectations_failed > 0 ? NP_EXIT_FAILURE : NP_EXIT_OK;
}

int np_cmd_check(int argc, char **argv)
{
	struct check_options opts = { .output = OUTPUT_AUTO };
	struct check_context ctx = { 0 };
	struct np_model *model;
	int status = parse_options(argc, argv, &opts);

	if (status != NP_EXIT_OK)
		goto out;
	model = np_cli_load_model("check", &opts.files, &opts.staged, opts.default_ns, false);
	if (!model) {
		status = NP_EXIT_USAGE;
		goto out;
	}
	ctx.model = model;
	ctx.scope = opts.staged.count > 0 ? NP_SCOPE_WITH_STAGED : NP_SCOPE_IN_FORCE;
	ctx.output = opts.output != OUTPUT_AUTO ? opts.output
						 : opts.probes_path ? OUTPUT_JSON : OUTPUT_TEXT;
	ctx.report = ctx.output == OUTPUT_JSON ? stderr : stdout;
	status = opts.probes_path ? run_probe_file(&ctx, opts.probes_path)
				  : run_flag_probe(&ctx, &opts);
	if (status == NP_EXIT_OK)
		status = finish(&ctx);
	np_model_free(model);
out:
	np_path_list_free(&opts.files);
	np_path_list_free(&opts.staged);
	return status;
}
