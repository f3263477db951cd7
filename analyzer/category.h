/* category.h - the one table of categories: what each means and how every writer shows it.
 *
 * The categories themselves are enum ev_category (event.h); each has one
 * row in category.c, read by the verdict (an event's verdict is its
 * category's), by every writer (TSV, XML, HTML) and by the terminal
 * table.  README.md's category table, reports/report.xsd and
 * reports/report.css name the same set (tests/test_category.c).  Adding a
 * category: its enum value, its row, the verdict rule that picks it, and
 * those three files.
 */
#ifndef LS_CATEGORY_H
#define LS_CATEGORY_H

#include <stdbool.h>

#include "event.h"

enum cat_severity { SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH }; /* also the rank: higher reads first */

/* How a category counts: a leak; ok but reported with its cause and
 * remedy (resolver-bypass: inside the tunnel, to another resolver: no
 * leak of the question past the tunnel, but a policy the auditor wants
 * to see); allowed by the description; ok; not judged (no description). */
enum cat_kind { CK_NONE, CK_OK, CK_REPORTED, CK_ALLOWED, CK_LEAK, CK_UNJUDGED };

struct cat_info {
	const char *name;          /* as the TSV, XML and HTML write it; the CSS class is "c-" name */
	enum ev_verdict verdict;   /* the verdict of an event of this category */
	enum cat_severity severity;
	enum cat_kind kind;
	const char *marker;        /* timeline marker, SVG path data from its centre ("" a circle); NULL none */
	const char *css;           /* the marker's class in reports/report.css; NULL: no marker */
	const char *cause, *remedy; /* one sentence each */
};

/* The row of c (an "info" row with name "?" when out of range: never NULL). */
const struct cat_info *cat_info(enum ev_category c);
/* Severity of a category: "high", "medium", "low", "info". */
const char *cat_severity(enum ev_category c);
/* One sentence each: why it happens, what to change. */
const char *cat_cause(enum ev_category c);
const char *cat_remedy(enum ev_category c);
bool cat_is_leak(enum ev_category c);
/* Leaks and reported categories: each event shows its cause and remedy. */
bool cat_explained(enum ev_category c);
/* "leak", "allowed", "ok, reported", "ok", "not judged" (the HTML's Kind column). */
const char *cat_kind_str(enum ev_category c);
/* Categories in reading order (leaks, most severe first, then the others;
 * ties in enum order), CAT_NONE left out.  out holds CAT__N; returns how many. */
int cat_in_order(enum ev_category *out);

#endif
