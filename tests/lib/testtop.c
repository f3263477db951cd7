/* testtop.c - the checkout's and the corpus's places for the tests (testtop.h). */
#include "testtop.h"

#include <stdlib.h>

const char *ls_test_top(void)
{
	const char *t = getenv("LS_TOP");
	return t && *t ? t : ".";
}

const char *ls_test_corpus(void)
{
	static char buf[4096];
	const char *d = getenv("LS_CORPUS");
	if (d && *d)
		return d;
	const char *s = getenv("LS_SHARED");
	if (s && *s)
		snprintf(buf, sizeof(buf), "%s/corpus", s);
	else
		snprintf(buf, sizeof(buf), "%s/../shared/corpus", ls_test_top());
	return buf;
}
