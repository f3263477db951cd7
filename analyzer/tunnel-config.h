/* tunnel-config.h - a tunnel description (rules/tunnel.xsd) from a VPN client's own configuration: wg-quick (WireGuard) or OpenVPN. */
#ifndef LS_TUNNEL_CONFIG_H
#define LS_TUNNEL_CONFIG_H

#include <stddef.h>

#include "util.h"

#define LS_TUNCONF_MAX_FILE (256u * 1024u) /* bytes read of a configuration */

/*
 * Reads path (at most LS_TUNCONF_MAX_FILE bytes; the file is hostile, it
 * may come with the captures) and writes an equivalent tunnel description
 * to *xml (appended; the caller frees it with sb_free):
 *   - wg-quick, recognised by an [Interface] section: Address = the inside
 *     prefixes, DNS = the resolvers (entries that are not addresses are
 *     search domains and are skipped), each [Peer]'s Endpoint = an
 *     endpoint on UDP, and the union of AllowedIPs says which families
 *     the tunnel carries (ipv4= / ipv6=);
 *   - OpenVPN, recognised by a "remote" or "client" directive: each
 *     remote (with port, proto or the file's defaults, 1194 over UDP),
 *     "dhcp-option DNS" resolvers, "ifconfig" inside address; inline
 *     blocks (<ca> ... </ca>) are skipped.
 * A configuration without the host's inside address (an OpenVPN client's
 * usually: the server pushes it) is refused: without it every question
 * inside the tunnel would be judged outside, false leaks.
 * A host name where an address is needed (Endpoint = vpn.example.net:51820)
 * is an error: leakscope never resolves names, and guessing would judge
 * against the wrong server.  The name of the tunnel is the file's name
 * without ".conf"/".ovpn" when it is a plain identifier.
 * Returns 0, or -1 with "path:line: what is wrong" (or "path: ...") in err.
 */
int tunconf_to_xml(const char *path, struct sbuf *xml, char *err, size_t errlen);

/* The same for text already in memory (name for messages and the tunnel's name). */
int tunconf_to_xml_mem(const char *name, const char *text, size_t len, struct sbuf *xml, char *err, size_t errlen);

#endif
