/* testtop.h - where the tests find the checkout and ../shared: never by an absolute path.
 *
 * The checkout: $LS_TOP (make test sets it), else the current directory.
 * The public corpus: $LS_CORPUS, else $LS_SHARED/corpus, else
 * <checkout>/../shared/corpus.  A test that needs a file there and does not
 * find it says so on stderr and skips (TEST_NEED_FILE): Criterion itself
 * prints nothing for a skipped test.
 */
#ifndef LS_TESTTOP_H
#define LS_TESTTOP_H

#include <stdio.h>
#include <unistd.h>

const char *ls_test_top(void);
const char *ls_test_corpus(void);

/* In a Criterion test: skips, saying which file is missing and why, unless path can be read. */
#define TEST_NEED_FILE(path)                                                                                   \
	do {                                                                                                   \
		if (access((path), R_OK) != 0) {                                                               \
			fprintf(stderr, "SKIP %s:%d: %s is absent (the public corpus is looked for in $LS_CORPUS, " \
					"$LS_SHARED/corpus, else ../shared/corpus beside the checkout)\n",           \
				__FILE__, __LINE__, (path));                                                  \
			cr_skip_test("%s absent", (path));                                                     \
		}                                                                                              \
	} while (0)

#endif
