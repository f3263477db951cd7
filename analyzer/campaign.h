/* campaign.h - audit campaigns: many cases (captures + tunnel + expectation), each run as its own analyze, judged, and shown as one matrix. */
#ifndef LS_CAMPAIGN_H
#define LS_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The XML namespace of campaign files (rules/campaign.xsd). */
#define LS_CAMPAIGN_NS "urn:leakscope:campaign:1"
#define LS_MATRIX_NS "urn:leakscope:matrix:1"

/* Limits: a campaign file may come from someone else (a student's
 * submission list, a vendor's test plan), so it is hostile input like a
 * tunnel description.  Going over a limit is an error naming it. */
#define LS_CAMPAIGN_MAX_FILE (8u * 1024u * 1024u) /* bytes */
#define LS_CAMPAIGN_MAX_CASES 4096
#define LS_CAMPAIGN_MAX_JOBS 64

/* Exit statuses of leakscope audit. */
#define LS_AUDIT_PASS 0      /* every expectation held */
#define LS_AUDIT_FAIL 1      /* at least one expectation failed */
#define LS_AUDIT_UNUSABLE 2  /* the campaign file or the command line is unusable */
#define LS_AUDIT_UNDECIDED 3 /* some case could not be judged, none failed */

/* The leak categories, in the README's order (the first that applies). */
#define LS_NCAT 13 /* the leak categories of category.c (test_category checks the list) */
extern const char *const campaign_categories[LS_NCAT];
/* Index of a leak category name, or -1. */
int campaign_category_index(const char *name);

enum expect_kind { EXPECT_NO_LEAK, EXPECT_AT_LEAST, EXPECT_EXACTLY, EXPECT_UNDECIDED };

struct campaign_label {
	char *key, *value;
};

struct campaign_case {
	char *id;
	struct campaign_label *labels; size_t n_labels;
	char **captures; size_t n_captures;   /* as written in the file */
	char **capture_paths;                 /* resolved against the campaign's folder */
	char *tunnel;                         /* as written; NULL: auto */
	char *tunnel_path;                    /* resolved; NULL: auto */
	bool tunnel_is_config;                /* tunnel names a wg-quick/OpenVPN configuration */
	enum expect_kind expect;
	/* EXPECT_AT_LEAST / EXPECT_EXACTLY: the categories listed; count 0
	 * means "at least one" (at-least: n >= max(count, 1)). */
	bool want[LS_NCAT];
	uint64_t want_count[LS_NCAT];
	int line;
};

struct campaign {
	char *path;      /* the file as given */
	char *dir;       /* its folder: relative paths in it start there */
	char *name;
	char *title;     /* or NULL */
	char *rows, *columns; /* label keys ("id": the case id); NULL: rows = id, one column */
	struct campaign_case *cases; size_t n_cases; /* sorted by id */
};

/*
 * Loads and validates path against rules/campaign.xsd (found like
 * rules/tunnel.xsd: LEAKSCOPE_DATADIR, else the compiled-in folder).  The
 * same guards as the tunnel description loader: at most 8 MiB read, no
 * network, no DTD, any DOCTYPE refused, an external entity loader that
 * refuses everything.  Captures that do not exist are not an error here
 * (the case is reported undecided, with the reason).
 * Returns 0 and *out (free with campaign_free), or -1 with "file:line: what
 * is wrong" in err and *out NULL.  Not thread-safe (libxml2 global state,
 * saved and restored around the call).
 */
int campaign_load(const char *path, struct campaign **out, char *err, size_t errlen);
/* The same for a campaign already in memory; path names it in messages and
 * its folder is where relative paths start. */
int campaign_load_mem(const char *path, const void *data, size_t len, struct campaign **out, char *err,
		      size_t errlen);
void campaign_free(struct campaign *c);

/* The value of a label of a case ("id" gives the id); NULL when absent. */
const char *campaign_label(const struct campaign_case *cs, const char *key);

/* What one case's analyze child left behind, as read from its exit
 * status and DIR/cases/<id>/summary.xml. */
struct case_result {
	bool ran;            /* a child was started and summary.xml read */
	int exit_status;     /* the child's exit status; -1 killed by a signal or not run */
	char status[16];     /* summary.xml <verdict status>: clean, leak, undecided */
	char source[16];     /* <tunnel-description source>: given, suggested, none */
	uint64_t leaks, events, hosts;
	uint64_t count[LS_NCAT]; /* leaks per category, summed over hosts */
	bool truncated;      /* a capture was damaged part way */
	uint64_t events_dropped;
	char problem[512];   /* why it did not run or could not be read ("" when it did) */
};

enum case_outcome { OUTCOME_PASS, OUTCOME_FAIL, OUTCOME_UNDECIDED };

/*
 * Judges one case: its expectation against its result.  Never passes a
 * no-leak expectation on what was not seen: no summary, an unknown exit
 * status, a summary that disagrees with the exit status, no question seen
 * at all, a damaged capture or dropped events all give UNDECIDED, with the
 * reason in why (always set, one line).
 */
enum case_outcome campaign_judge(const struct campaign_case *cs, const struct case_result *r, char *why,
				 size_t whylen);

/* Reads DIR/summary.xml of one case into r (ran, status, counts ...);
 * returns 0, or -1 with r->problem set.  Parsed with libxml2 without
 * network, DTD or entities, at most 64 MiB. */
int campaign_read_summary(const char *summary_path, struct case_result *r);

const char *campaign_outcome_str(enum case_outcome o);
const char *campaign_expect_str(const struct campaign_case *cs, char *buf, size_t len);

/* One judged case, for the writers. */
struct audit_row {
	const struct campaign_case *cs;
	struct case_result res;
	enum case_outcome outcome;
	char why[768];
};

/*
 * The matrix outputs (output-matrix.c), all in dir: matrix.html,
 * matrix.xml (reports/matrix.xsd), matrix.json, junit.xml, gradebook.csv.
 * rows[] is in case-id order.  Deterministic bytes: no wall time, sorted.
 * Returns 0, or -1 with a message naming the file in err.
 */
int out_matrix(const struct campaign *c, const struct audit_row *rows, size_t n, const char *dir, char *err,
	       size_t errlen);

/* leakscope audit CAMPAIGN.xml -o DIR [-j N] [-q]: argv[0] is "audit".
 * Returns the exit status (LS_AUDIT_*). */
int cmd_audit(int argc, char **argv);

#endif
