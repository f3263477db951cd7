/* rules-import.h - tunnel descriptions from the VPN's own configuration: wg-quick .conf, OpenVPN .ovpn, strongSwan swanctl.conf. */
#ifndef LS_RULES_IMPORT_H
#define LS_RULES_IMPORT_H

#include <stddef.h>

#include "rules.h"
#include "util.h"

/* Caps: a configuration file is hostile input like any description. */
#define IMP_MAX_LINE 4096   /* characters in one line */
#define IMP_MAX_LINES 65536 /* lines in one file */
#define IMP_MAX_LIST 256    /* endpoints, addresses, resolvers, routes per tunnel (the schema's caps) */
#define IMP_MAX_TUNNELS 64  /* peers / connections: the schema's <tunnel> cap */
#define IMP_MAX_DEPTH 16    /* nested { } in swanctl.conf */

/*
 * Recognises the format of buf (len bytes, the content of path) by what it
 * says, never by the file name: a [Interface] section is wg-quick, a
 * "connections {" block is swanctl.conf, a "remote" directive is OpenVPN;
 * anything else (XML above all) is not for this module.
 *
 * Returns 0 when buf is none of these (xml untouched), 1 with the
 * translation appended to xml (a description to validate with
 * rules_load_mem), or -1 with "path:LINE: what is wrong" in err.
 * Only addresses that parse and names that are valid host names reach the
 * XML; everything is escaped; what cannot be translated (a server given by
 * name only, routes, search domains) is said in comments at the top.
 */
int rules_import(const char *path, const char *buf, size_t len, struct sbuf *xml, char *err, size_t errlen);

/*
 * Loads a tunnel description from path in any accepted format: XML as
 * rules_load() does, or one of the configurations above, translated and
 * then validated like XML (messages about the translation name
 * "path (translated)").  When xml is not NULL and the file was translated,
 * the translation is left in it.  Returns 0 and *out, or -1 with a message
 * in err.
 */
int rules_load_any(const char *path, struct rules **out, struct sbuf *xml, char *err, size_t errlen);
/* The same for the file's bytes already read (n bytes of buf; path names
 * it in messages): the reports' chain of custody hashes the very bytes
 * that were judged against. */
int rules_load_any_mem(const char *path, const char *buf, size_t n, struct rules **out, struct sbuf *xml,
		       char *err, size_t errlen);

#endif
