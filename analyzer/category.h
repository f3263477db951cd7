/* category.h - what each leak category means: severity, cause, remedy.
 *
 * The categories themselves (enum ev_category, their names) are in
 * event.h; the verdict (verdict.c) decides them; the writers and the
 * terminal table read their texts here.  README.md repeats the texts.
 */
#ifndef LS_CATEGORY_H
#define LS_CATEGORY_H

#include "event.h"

/* Severity of a category: "high", "medium", "low", "info". */
const char *cat_severity(enum ev_category c);
/* One sentence each: why it happens, what to change. */
const char *cat_cause(enum ev_category c);
const char *cat_remedy(enum ev_category c);

#endif
