/* outdir.h - outputs that cannot hurt: an output is never an input, a report folder is replaced whole. */
#ifndef LS_OUTDIR_H
#define LS_OUTDIR_H

#include <stdio.h>

#include <stddef.h>

/*
 * A forensic tool must not damage its evidence or files that are not its
 * own.  Two rules, checked before anything is read or written:
 *
 *  - an output file (analyze --partial, events -o, suggest-tunnel -o) is
 *    none of the inputs: same device and inode after following symlinks,
 *    so a symlink or a hard link to a capture is caught as well;
 *  - a report folder (analyze -o DIR) neither is nor holds an input, and
 *    an existing DIR is replaced only when it looks like one of ours (its
 *    summary.xml carries the report namespace) or is empty.
 *
 * Reports are then written into a fresh folder made next to DIR (mkdtemp
 * in the same parent, so the final rename is atomic), and only when every
 * file is complete does that folder take DIR's place.  A run that fails
 * half way (a full disk, a path too long) leaves the earlier DIR as it was
 * and removes its own half.  Nothing in the fresh folder predates the run,
 * so no planted symlink can be followed and no stale host file survives.
 */

/* The longest report folder path taken: the staged folder's name and
 * "/hosts/<host id>.html" must still fit in a 4096-byte path. */
#define OD_DIR_MAX 3800

/* 0 when out is none of inputs[0..n) (NULL entries skipped); -1 with a
 * message in err ("OUT is the same file as the input IN"). */
int od_check_file(const char *out, const char *const *inputs, int n, char *err, size_t errlen);

/* 0 when dir may become the report folder: path short enough, not a
 * symlink, not holding an input, absent, empty or an earlier report
 * folder.  -1 with a message in err. */
int od_check_dir(const char *dir, const char *const *inputs, int n, char *err, size_t errlen);

struct od_stage {
	char final[4096]; /* DIR, trailing slashes removed */
	char tmp[4096];   /* the staged folder: PARENT/.BASE.new-XXXXXX */
};

/* Creates the staged folder (and its hosts/ subfolder) for dir, creating
 * dir's parents when missing.  Write the reports into st->tmp.  Returns 0,
 * or -1 with a message in err (nothing left behind). */
int od_begin(struct od_stage *st, const char *dir, char *err, size_t errlen);

/* Puts the staged folder in DIR's place (an earlier DIR is swapped out and
 * removed).  Returns 0, or -1 with a message (the staged folder removed,
 * DIR as it was).  A leftover of the old folder that cannot be removed is
 * a warning on stderr, not a failure. */
int od_commit(struct od_stage *st, char *err, size_t errlen);

/* The bytes the regular files under dir take (st_size, symlinks not
 * followed, at most 4 levels deep): the report folder's size. */
unsigned long long od_tree_bytes(const char *dir);

/* Removes the staged folder (after a failed write). */
void od_abort(struct od_stage *st);
/* Removes p (a folder and what it holds, or a file or link: its name
 * only), never following a symlink.  0 when removed or absent, -1 with
 * errno otherwise. */
int od_remove_tree(const char *p);
/* A new file, created exclusively and never through a symlink (mode
 * 0644), as every report file is; NULL with errno. */
FILE *od_create(const char *path);

#endif
