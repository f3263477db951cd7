/* integrity.c - the verdict's integrity contract: what keeps an investigation from being called clean, in one place. */
#include "integrity.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "event.h"
#include "relation.h"
#include "util.h"

static void add(struct an_integrity *o, const char *code, bool blocks, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(struct an_integrity *o, const char *code, bool blocks, const char *fmt, ...)
{
	if (o->nreasons >= AN_MAX_REASONS) {
		o->reasons_capped = true;
		return;
	}
	struct an_reason *r = &o->reasons[o->nreasons++];
	r->code = code;
	r->blocks_clean = blocks;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

void an_integrity(const struct analysis *a, struct an_integrity *o)
{
	memset(o, 0, sizeof(*o));
	o->leaks = a->leaks_total;
	o->judged = a->judged_total;
	o->questions = ev_count(a->ev);
	bool undecided = false;
	bool none_seen = false; /* no tunnel of the description appears at all */

	/* what was read */
	size_t read_files = 0;
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct an_file *f = &a->files[i];
		if (!f->format) {
			add(o, "unreadable", true, "%s could not be read: %s", f->path, f->error ? f->error : "unknown error");
			continue;
		}
		read_files++;
		if (f->error && f->packets == 0)
			add(o, "damaged-at-start", true, "%s is damaged before its first packet (%s): nothing of it was analysed",
			    f->path, f->error);
		else if (f->error)
			add(o, "damaged", true, "%s is damaged after %" PRIu64 " packets (%s): it was analysed up to the damage",
			    f->path, f->packets, f->error);
	}
	if (a->packets == 0) {
		add(o, "no-packets", true, "no packet was read from the captures");
		undecided = true;
	}
	/* captures given together that have nothing to do with each other */
	const struct an_relation *rel = a->relation;
	if (rel && rel->ngroups > 1) {
		char list[AN_REASON_TEXT];
		size_t l = 0;
		list[0] = 0;
		for (int g = 0; g < rel->ngroups && l < sizeof(list); g++)
			for (size_t i = 0; i < rel->nfiles && l < sizeof(list); i++) {
				if (rel->group[i] != g)
					continue;
				const struct an_file *f = &a->files[i];
				const char *base = strrchr(f->path, '/');
				char t0[32], t1[32];
				time_iso_sec(f->first_sec, t0, sizeof(t0));
				time_iso_sec(f->last_sec, t1, sizeof(t1));
				int n = snprintf(list + l, sizeof(list) - l, "%s[%d] %s %.10s..%.10s, %zu host%s", l ? "; " : "",
						 g + 1, base ? base + 1 : f->path, t0, t1, rel->file_hosts[i],
						 rel->file_hosts[i] == 1 ? "" : "s");
				l += n > 0 ? (size_t)n : 0;
			}
		add(o, "captures-unrelated", false,
		    "%zu captures from %d different times (no overlap, not within %d min; %zu host%s in common) were "
		    "read as one investigation: judge each on its own: %s",
		    rel->nfiles, rel->ngroups, REL_NEAR_SEC / 60, rel->shared_hosts, rel->shared_hosts == 1 ? "" : "s",
		    list);
	}
	if (rel && rel->nlonely)
		add(o, "captures-unrelated", false,
		    "%zu pair%s of captures overlap in time but share no host (no host asked a question in both): check "
		    "that they are one investigation",
		    rel->nlonely, rel->nlonely == 1 ? "" : "s");
	if (a->unsupported_link)
		add(o, "unsupported-link", true, "%" PRIu64 " packets on link types that are not decoded were skipped",
		    a->unsupported_link);

	/* what was kept */
	if (ev_dropped(a->ev))
		add(o, "event-cap", true,
		    "%" PRIu64 " name resolutions were over the event limit (--max-events) and were not judged",
		    ev_dropped(a->ev));
	if (a->hosts_capped)
		add(o, "host-cap", true,
		    "more than %zu hosts: %" PRIu64 " name resolutions of the hosts past the limit were judged (their leaks are "
		    "counted) but have no host page",
		    a->opt.max_hosts ? a->opt.max_hosts : (size_t)AN_MAX_HOSTS, a->unhosted_events);
	/* what the report folder shows (the report caps, analyze.h): every
	 * host was judged and counted, so these are caveats */
	if (a->unlisted.hosts)
		add(o, "host-pages", false,
		    "%" PRIu64 " hosts have no page of their own (pages for the %zu most severe, --max-host-pages): their %"
		    PRIu64 " name resolutions (%" PRIu64 " leaks) were judged and are summed up in summary.xml "
		    "<unlisted-hosts> and the index; leakscope events --tunnel lists each one",
		    a->unlisted.hosts, a->nlisted, a->unlisted.events, a->unlisted.leaks);
	if (a->hosts_cut)
		add(o, "host-events-cut", false,
		    "%" PRIu64 " host%s asked more than %zu questions: %s XML report lists %zu events (leaks first, "
		    "--max-host-events), its counts are whole; leakscope events --tunnel lists each one",
		    a->hosts_cut, a->hosts_cut == 1 ? "" : "s",
		    a->opt.max_host_events ? a->opt.max_host_events : (size_t)AN_DEFAULT_HOST_EVENTS,
		    a->hosts_cut == 1 ? "its" : "each one's",
		    a->opt.max_host_events ? a->opt.max_host_events : (size_t)AN_DEFAULT_HOST_EVENTS);
	if (a->flows_evicted_live)
		add(o, "flow-cap", true,
		    "%" PRIu64 " flows were ended early at the flow limit while they still had something to show (a TCP "
		    "stream being followed, a carrier's evidence): name resolution later in them may be missing",
		    a->flows_evicted_live);
	else if (a->flows_evicted)
		add(o, "flow-cap", false,
		    "%" PRIu64 " flows were ended early at the flow limit, each after it had shown its questions (no "
		    "TCP stream or carrier evidence was cut)",
		    a->flows_evicted);
	if (a->ifaces_capped)
		add(o, "interface-cap", true, "more than %d interfaces: packets on later ones were not told apart",
		    AN_MAX_IFACES);
	if (a->carriers_capped)
		add(o, "carrier-cap", true, "more than %d tunnel carriers: later ones were not considered", AN_MAX_CARRIERS);
	if (a->routes_capped)
		add(o, "route-cap", false, "more than %d DHCP routes: later ones were not checked (TunnelVision)",
		    AN_MAX_ROUTES);

	/* what could be judged */
	if (!a->rules) {
		add(o, "no-description", true,
		    "no tunnel description was given and no tunnel carrier was recognised in the captures: no question "
		    "could be judged");
		undecided = true;
	} else {
		size_t seen = 0;
		for (size_t t = 0; t < a->rules->n_tunnels; t++) {
			const struct an_tunnel *tu = &a->tun[t];
			if (tu->carrier_pkts || tu->inside_pkts)
				seen++;
			else
				add(o, "tunnel-not-seen", true,
				    "tunnel \"%s\" never appears in the captures (no packet to or from its endpoints or inside "
				    "addresses): check the description for a typo, or the capture for the wrong interface; if the "
				    "VPN never connected, every question in the capture went outside",
				    a->rules->tunnels[t].name);
		}
		if (seen == 0 && a->rules->n_tunnels)
			undecided = none_seen = true;
		char warn[4][RULES_WARNING_MAX];
		size_t nw = rules_endpoint_warnings(a->rules, warn, 4);
		for (size_t i = 0; i < nw; i++)
			add(o, "suspicious-endpoint", false, "%s%s", a->suggested ? "suggested description, " : "",
			    warn[i]);
		size_t untunnelled = 0;
		for (size_t h = 0; h < a->nhosts; h++)
			untunnelled += a->hosts[h].by_cat[CAT_NO_TUNNEL] && !a->hosts[h].tunnelled;
		if (untunnelled)
			add(o, "hosts-without-tunnel", false,
			    "%zu host%s sent no tunnel carrier and hold%s no inside address: %s questions are listed as "
			    "no-tunnel, not judged (every-host=\"true\" in the description judges them)",
			    untunnelled, untunnelled == 1 ? "" : "s", untunnelled == 1 ? "s" : "", untunnelled == 1 ? "its" : "their");
		if (a->suggested)
			add(o, "suggested", false,
			    "the tunnel description was suggested from the captures (no --tunnel given): review it; a carrier "
			    "the tool did not recognise would leave its host unjudged");
	}
	if (o->questions && o->judged == 0 && a->rules)
		undecided = true;
	if (o->questions == 0 && a->rules && a->packets)
		add(o, "no-questions", false,
		    "no name-resolution question was seen at all: nothing leaked, and nothing shows how the host "
		    "resolves names (a capture of the physical interface alone sees none of those that went inside "
		    "the tunnel)");

	bool blocks = false;
	for (size_t i = 0; i < o->nreasons; i++)
		blocks |= o->reasons[i].blocks_clean;
	/* Leaks against a tunnel that never appears are either every question
	 * of a host whose VPN never ran or a typo in the description: the
	 * capture cannot tell, so neither "leaks" nor "clean" is said. */
	if (none_seen)
		o->status = AN_UNDECIDED;
	else if (o->leaks)
		o->status = AN_LEAKS;
	else if (undecided)
		o->status = AN_UNDECIDED;
	else if (blocks || o->reasons_capped)
		o->status = AN_INCOMPLETE;
	else
		o->status = AN_CLEAN;
}

const char *an_status_str(enum an_status s)
{
	switch (s) {
	case AN_CLEAN: return "clean";
	case AN_LEAKS: return "leak";
	case AN_INCOMPLETE: return "incomplete";
	case AN_UNDECIDED: return "undecided";
	}
	return "undecided";
}

int an_status_exit(enum an_status s)
{
	switch (s) {
	case AN_CLEAN: return EXIT_CLEAN;
	case AN_LEAKS: return EXIT_LEAKS;
	case AN_INCOMPLETE: return EXIT_INCOMPLETE;
	case AN_UNDECIDED: return EXIT_UNDECIDED;
	}
	return EXIT_UNDECIDED;
}

const char *an_status_banner(enum an_status s)
{
	switch (s) {
	case AN_CLEAN: return "NO LEAKS";
	case AN_LEAKS: return "LEAKS";
	case AN_INCOMPLETE: return "INCOMPLETE";
	case AN_UNDECIDED: return "UNDECIDED";
	}
	return "UNDECIDED";
}

const char *an_host_status(const struct analysis *a, const struct an_host *h)
{
	if (!a->rules)
		return "undecided";
	if (h->leaks)
		return "leak";
	if (h->by_cat[CAT_NO_TUNNEL] && !h->tunnelled)
		return "no-tunnel";
	const struct an_integrity *g = &a->integ;
	if (g->status == AN_UNDECIDED)
		return "undecided";
	for (size_t i = 0; i < g->nreasons; i++)
		if (g->reasons[i].blocks_clean)
			return "incomplete";
	return g->reasons_capped ? "incomplete" : "clean";
}
