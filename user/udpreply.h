/* udpreply — tells a UDP server's replies from the flows it starts.
 *
 * NetworkPolicy is stateful: a reply to an allowed datagram is allowed, and
 * is no flow of its own. A server on an unconnected socket (a DNS server)
 * sends its replies with sendmsg, which looks exactly like the server
 * starting a flow to the client's ephemeral port. So every datagram received
 * on an unconnected socket is remembered for a while by (network namespace,
 * local port, peer address), and a send from that local port to that peer
 * within the while is a reply. Bounded: a fixed table where a newer entry
 * may displace an older one (a displaced reply is then judged as a flow).
 */
#ifndef NPWATCH_UDPREPLY_H
#define NPWATCH_UDPREPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

struct np_udp_replies;

struct np_udp_replies *np_udp_replies_new(unsigned slots_log2, uint64_t remember_ms);
void np_udp_replies_free(struct np_udp_replies *replies);

/* A datagram arrived (inbound recvmsg on an unconnected socket). */
void np_udp_replies_note(struct np_udp_replies *replies, const struct np_observation *recv,
			 uint64_t now_ms);

/* Is this outbound send a reply to a datagram noted within the while? */
bool np_udp_replies_is_reply(const struct np_udp_replies *replies,
			     const struct np_observation *send, uint64_t now_ms);

#endif
