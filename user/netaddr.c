/* netaddr — IP addresses and CIDR blocks; see netaddr.h. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void np_ip_from_bytes(struct np_ip *out, int family, const void *bytes)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->addr, bytes, 4);
		return;
	}
	if (memcmp(bytes, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
		out->family = AF_INET;
		memcpy(out->addr, (const uint8_t *)bytes + 12, 4);
		return;
	}
	out->family = AF_INET6;
	memcpy(out->addr, bytes, 16);
}

bool np_ip_parse(const char *text, struct np_ip *out)
{
	uint8_t buf[16];

	if (!text)
		return false;
	if (inet_pton(AF_INET, text, buf) == 1) {
		np_ip_from_bytes(out, AF_INET, buf);
		return true;
	}
	if (inet_pton(AF_INET6, text, buf) == 1) {
		np_ip_from_bytes(out, AF_INET6, buf);
		return true;
	}
	return false;
}

const char *np_ip_format(const struct np_ip *ip, char *buf, size_t len)
{
	if (ip->family != AF_INET && ip->family != AF_INET6) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (!inet_ntop(ip->family, ip->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static size_t ip_len(const struct np_ip *ip)
{
	return ip->family == AF_INET ? 4 : 16;
}

bool np_ip_equal(const struct np_ip *a, const struct np_ip *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, ip_len(a)) == 0;
}

int np_ip_compare(const struct np_ip *a, const struct np_ip *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, ip_len(a));
}

static void clear_host_bits(struct np_ip *ip, unsigned prefix)
{
	size_t len = ip_len(ip);

	for (size_t i = 0; i < len; i++) {
		unsigned first_bit = (unsigned)i * 8;
		if (first_bit >= prefix)
			ip->addr[i] = 0;
		else if (prefix - first_bit < 8)
			ip->addr[i] &= (uint8_t)(0xff << (8 - (prefix - first_bit)));
	}
}

bool np_cidr_parse(const char *text, struct np_cidr *out)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned max_prefix;
	long prefix;
	char *end;

	if (addr_len == 0 || addr_len >= sizeof(addr))
		return false;
	memcpy(addr, text, addr_len);
	addr[addr_len] = '\0';
	/* A v4-mapped CIDR would need its prefix shifted; the API rejects it too. */
	if (!np_ip_parse(addr, &out->net) || (out->net.family == AF_INET && strchr(addr, ':')))
		return false;
	max_prefix = out->net.family == AF_INET ? 32 : 128;
	if (!slash) {
		out->prefix = (uint8_t)max_prefix;
		return true;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return false;
	prefix = strtol(slash + 1, &end, 10);
	if (*end != '\0' || prefix < 0 || prefix > (long)max_prefix)
		return false;
	out->prefix = (uint8_t)prefix;
	clear_host_bits(&out->net, out->prefix);
	return true;
}

bool np_cidr_contains(const struct np_cidr *cidr, const struct np_ip *ip)
{
	struct np_ip masked = *ip;

	if (ip->family != cidr->net.family)
		return false;
	clear_host_bits(&masked, cidr->prefix);
	return np_ip_equal(&masked, &cidr->net);
}

bool np_cidr_covers(const struct np_cidr *outer, const struct np_cidr *inner)
{
	return inner->net.family == outer->net.family && inner->prefix >= outer->prefix &&
	       np_cidr_contains(outer, &inner->net);
}

const char *np_cidr_format(const struct np_cidr *cidr, char *buf, size_t len)
{
	char ip[NP_IP_STRLEN];

	snprintf(buf, len, "%s/%u", np_ip_format(&cidr->net, ip, sizeof(ip)), cidr->prefix);
	return buf;
}
