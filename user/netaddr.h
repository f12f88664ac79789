/* netaddr — IP addresses and CIDR blocks, IPv4 and IPv6.
 *
 * One representation for both families so that every stage compares
 * addresses the same way: IPv4 is kept as IPv4 (v4-mapped IPv6 addresses are
 * normalised to it), so 10.0.0.1 and ::ffff:10.0.0.1 are one address.
 */
#ifndef NPWATCH_NETADDR_H
#define NPWATCH_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NP_IP_STRLEN 46 /* INET6_ADDRSTRLEN */

struct np_ip {
	uint8_t family; /* AF_INET or AF_INET6; 0 = unset */
	uint8_t addr[16]; /* network order; IPv4 uses the first 4 bytes */
};

struct np_cidr {
	struct np_ip net; /* host bits cleared */
	uint8_t prefix;
};

/* Parses "10.1.2.3" or "fd00::1"; v4-mapped IPv6 becomes IPv4. */
bool np_ip_parse(const char *text, struct np_ip *out);
/* Builds an address from raw bytes (4 or 16), normalising v4-mapped IPv6. */
void np_ip_from_bytes(struct np_ip *out, int family, const void *bytes);
/* Writes the canonical text form into buf (at least NP_IP_STRLEN bytes). */
const char *np_ip_format(const struct np_ip *ip, char *buf, size_t len);
bool np_ip_equal(const struct np_ip *a, const struct np_ip *b);
/* Total order: family first, then bytes; for sorting and binary search. */
int np_ip_compare(const struct np_ip *a, const struct np_ip *b);

/* Parses "10.0.0.0/8"; a bare address is a host route (/32 or /128).
 * Host bits are cleared, as the Kubernetes API accepts "10.0.0.1/8". */
bool np_cidr_parse(const char *text, struct np_cidr *out);
bool np_cidr_contains(const struct np_cidr *cidr, const struct np_ip *ip);
/* True when every address of inner lies in outer. */
bool np_cidr_covers(const struct np_cidr *outer, const struct np_cidr *inner);
const char *np_cidr_format(const struct np_cidr *cidr, char *buf, size_t len);

#endif
