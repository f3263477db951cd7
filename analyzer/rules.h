/* rules.h - the tunnel description: what is inside the tunnel and what may go outside. */
#ifndef LS_RULES_H
#define LS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

/* TK_OPENCONNECT: OpenConnect / Cisco AnyConnect (TLS 443 + DTLS 443/udp);
 * TK_SSH: an SSH connection used as a tunnel (ssh -D SOCKS, -L, -w). */
enum tunnel_kind { TK_WIREGUARD, TK_OPENVPN, TK_IPSEC, TK_TOR, TK_OTHER, TK_OPENCONNECT, TK_SSH };
/* Kinds that carry TCP streams, not packets: no inside address, names
 * resolved by the far end (Tor's exit, the SSH server for SOCKS5h). */
#define TK_CARRIES_STREAMS(k) ((k) == TK_TOR || (k) == TK_SSH)

/* The XML namespace of the format (rules/README.md, rules/tunnel.xsd). */
#define LS_RULES_NS "urn:leakscope:tunnel:1"

/* Limits.  A rules file is written by a person, but it may also arrive
 * with a capture from someone else, so it is treated as hostile: size and
 * counts are capped, going over is an error that says which limit. */
#define LS_RULES_MAX_FILE (1024u * 1024u) /* bytes */
#define LS_RULES_MAX_TUNNELS 64
#define LS_RULES_MAX_PER_TUNNEL 256 /* endpoints, inside prefixes, resolvers: each */
#define LS_RULES_MAX_ALLOW 4096     /* names + resolvers in <allow> */

struct rules_prefix {
	struct ls_addr addr;
	uint8_t plen;
};

/* Where the tunnel's carrier traffic goes: the VPN server. */
struct rules_endpoint {
	struct rules_prefix pfx;
	uint16_t port;     /* 0: any port */
	uint8_t transport; /* IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ESP; 0: any */
	int line;          /* line in the rules file, for messages */
};

struct rules_resolver {
	struct ls_addr addr;
	uint16_t port;     /* 0: any (53, 853, 443 ...) */
	char *name;        /* optional server name (DoT/DoH), NULL if none */
	char *reason;      /* allow list only: why it may be used outside; else NULL */
	int line;
};

struct rules_name {
	char *name;        /* lower case, no trailing dot */
	bool suffix;       /* matches name and every name below it */
	char *reason;
	int line;
};

struct rules_tunnel {
	char *name;
	enum tunnel_kind kind;
	struct rules_endpoint *endpoints; size_t n_endpoints;
	struct rules_prefix *inside; size_t n_inside;     /* host's addresses in the tunnel */
	struct rules_resolver *resolvers; size_t n_resolvers; /* must be reached through it */
	char *tun_iface;   /* tunnel interface name as the capture names it, or NULL */
	char *phys_iface;  /* physical interface name, or NULL */
	bool carries_ipv4, carries_ipv6; /* from the inside prefixes, or explicit */
	int line;
};

struct ri_table;

struct rules {
	char *path;
	/* <tunnels every-host="true">: every host in the captures must use a
	 * tunnel, so a host with none is judged (its questions leak) instead
	 * of being listed as "no tunnel" */
	bool every_host;
	struct rules_tunnel *tunnels; size_t n_tunnels;
	struct rules_name *allow_names; size_t n_allow_names;
	struct rules_resolver *allow_resolvers; size_t n_allow_resolvers;
	/* the lookups' tables (rules-index.h), made by rules_load*: endpoints,
	 * inside prefixes, tunnel resolvers, allowed resolvers */
	struct ri_table *ix_endpoints, *ix_inside, *ix_resolvers, *ix_allow;
};

/*
 * Loads and validates path against the schema (rules/tunnel.xsd, looked up
 * via rules_set_schema_dir() or the compiled-in default).  No network access,
 * no external entities, no DTD loading; file size capped at 1 MiB.
 * Returns 0 and *out (free with rules_free), or -1 with *out NULL and
 * "file:line: what is wrong" in err (the first error, then "(and N more
 * errors)" when there were more; "file: ..." when no line applies, and the
 * schema's path instead of file when the schema itself cannot be used).
 * A DOCTYPE of any kind is refused.  Not thread-safe; libxml2's global
 * error handlers and entity loader are restored before it returns.
 */
int rules_load(const char *path, struct rules **out, char *err, size_t errlen);
/* The same from memory; name is used in messages and as r->path.  The
 * buffer is not kept.  Same return values. */
int rules_load_mem(const char *name, const void *buf, size_t len, struct rules **out, char *err,
		   size_t errlen);
void rules_free(struct rules *r);
/*
 * Where tunnel.xsd is looked up, first match wins: the directory given here
 * (NULL: forget it), else $LEAKSCOPE_DATADIR/rules, else the copy of
 * rules/tunnel.xsd compiled into the program (path "(built-in) rules/tunnel.xsd"):
 * no build or install folder is baked in.
 * The compiled schema is cached and rebuilt when the path changes.
 */
void rules_set_schema_dir(const char *dir);
/* The schema path the next load will use; a static buffer. */
const char *rules_schema_path(void);
/* Frees the cached schema (optional, at exit; keeps leak checkers quiet). */
void rules_cleanup(void);

/*
 * Writes one paragraph explaining what the description means (check-rules),
 * wrapped at 78 columns, ending in a newline.  rules_describe_str returns
 * the same paragraph unwrapped on one line without the newline; the caller
 * frees it.  Output depends on the description only (document order).
 */
void rules_describe(const struct rules *r, FILE *out);
char *rules_describe_str(const struct rules *r);

/*
 * Lookups used by the verdict. Each returns the matching element or NULL;
 * the pointers stay valid until rules_free.  Ties go to document order.
 * The address lookups go through sorted tables made at load time (one
 * binary search per prefix length in use, not a walk over every entry:
 * rules-index.h); they answer exactly as a walk in document order would.
 *  endpoint_match: a in an endpoint prefix, and the endpoint's port and
 *    transport are "any" or equal to port / transport (IPPROTO_*).
 *  inside_match: a in one of a tunnel's inside prefixes.
 *  tunnel_resolver_match: a equals a tunnel resolver's address and its port
 *    is any or equal; *tun (if tun is not NULL) gets the tunnel.
 *  allow_name: qname (any case, trailing dot or not) equals an exact entry,
 *    else lies at or below a suffix entry on a label boundary; an exact
 *    match wins over a suffix, a longer suffix over a shorter one.
 *  allow_resolver: as tunnel_resolver_match, over the allow list.
 */
const struct rules_tunnel *rules_endpoint_match(const struct rules *r, const struct ls_addr *a,
						uint16_t port, uint8_t transport);
/* An endpoint's address, whatever the port and transport. */
const struct rules_tunnel *rules_endpoint_addr_match(const struct rules *r, const struct ls_addr *a);
const struct rules_tunnel *rules_inside_match(const struct rules *r, const struct ls_addr *a);
const struct rules_resolver *rules_tunnel_resolver_match(const struct rules *r,
							 const struct ls_addr *a, uint16_t port,
							 const struct rules_tunnel **tun);
const struct rules_name *rules_allow_name(const struct rules *r, const char *qname);
const struct rules_resolver *rules_allow_resolver(const struct rules *r, const struct ls_addr *a,
						  uint16_t port);
/* The kind as written in the file: "wireguard", "openvpn", ... ("?" if out of range). */
const char *rules_kind_str(enum tunnel_kind k);

/* Endpoints that are probably not a VPN server: a public resolver, a
 * multicast or broadcast address, a name-resolution port.  Writes at
 * most max messages ("line N: tunnel "x": endpoint ... why"); returns
 * how many. */
/* The lookup tables of a struct rules built by hand (the loader builds
 * them itself); freed by rules_free, or by ri_free on each. */
void rules_build_index(struct rules *r);

#define RULES_WARNING_MAX 320
size_t rules_endpoint_warnings(const struct rules *r, char (*out)[RULES_WARNING_MAX], size_t max);
/* libxml2's version, as the library running reports it ("21004" -> "2.10.4"); a static buffer. */
const char *rules_libxml_version(void);

#endif
