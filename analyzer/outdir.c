/* outdir.c - outputs that cannot hurt: an output is never an input, a report folder is replaced whole. */
#include "outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "util.h"

int od_check_file(const char *out, const char *const *inputs, int n, char *err, size_t errlen)
{
	struct stat so;
	/* absent (or a dangling link): not an existing input */
	if (!out || stat(out, &so) < 0)
		return 0;
	/* a terminal or /dev/null is shared by nothing we read */
	if (S_ISCHR(so.st_mode))
		return 0;
	for (int i = 0; i < n; i++) {
		struct stat si;
		if (!inputs[i] || stat(inputs[i], &si) < 0)
			continue;
		if (si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
			snprintf(err, errlen, "%s is the same file as the input %s: refusing to write over an input", out,
				 inputs[i]);
			return -1;
		}
	}
	return 0;
}

/* final without trailing slashes, its parent and its last component.
 * Returns 0, or -1 with a message. */
static int split_path(const char *dir, char *final, char *parent, char *base, char *err, size_t errlen)
{
	size_t n = dir ? strlen(dir) : 0;
	if (n == 0) {
		snprintf(err, errlen, "the report folder path is empty");
		return -1;
	}
	if (n > OD_DIR_MAX) {
		snprintf(err, errlen, "report folder path too long (%zu bytes; at most %d): %.60s...", n, OD_DIR_MAX,
			 dir);
		return -1;
	}
	memcpy(final, dir, n + 1);
	while (n > 1 && final[n - 1] == '/')
		final[--n] = '\0';
	const char *slash = strrchr(final, '/');
	const char *b = slash ? slash + 1 : final;
	if (!*b || !strcmp(b, ".") || !strcmp(b, "..")) {
		snprintf(err, errlen, "%s: give the report folder by its name (it is replaced as a whole)", dir);
		return -1;
	}
	snprintf(base, NAME_MAX + 1, "%s", b);
	if (!slash)
		snprintf(parent, 4096, ".");
	else if (slash == final)
		snprintf(parent, 4096, "/");
	else
		snprintf(parent, 4096, "%.*s", (int)(slash - final), final);
	return 0;
}

/* True when the folder holds nothing, or a summary.xml of ours. */
static bool looks_like_report(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool empty = true;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = false;
			break;
		}
	closedir(d);
	if (empty)
		return true;
	char p[4200];
	snprintf(p, sizeof(p), "%s/summary.xml", dir);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	char buf[1024];
	struct stat st;
	ssize_t r = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	if (r <= 0)
		return false;
	buf[r] = '\0';
	return strstr(buf, "xmlns=\"" LS_REPORT_NS "\"") != NULL;
}

int od_check_dir(const char *dir, const char *const *inputs, int n, char *err, size_t errlen)
{
	char final[4096], parent[4096], base[NAME_MAX + 1];
	if (split_path(dir, final, parent, base, err, errlen) < 0)
		return -1;
	if (strlen(base) > NAME_MAX - 16) {
		snprintf(err, errlen, "%s: the folder name is too long (at most %d bytes)", dir, NAME_MAX - 16);
		return -1;
	}
	struct stat sd;
	if (lstat(final, &sd) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (S_ISLNK(sd.st_mode)) {
		snprintf(err, errlen,
			 "%s is a symbolic link: give the report folder itself (it is replaced as a whole, never followed)",
			 dir);
		return -1;
	}
	if (!S_ISDIR(sd.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a folder: not replacing it", dir);
		return -1;
	}
	char *rdir = realpath(final, NULL);
	if (!rdir) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	size_t rl = strlen(rdir);
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		if (!inputs[i])
			continue;
		char *rin = realpath(inputs[i], NULL);
		if (!rin)
			continue;
		if (!strcmp(rin, rdir) || (!strncmp(rin, rdir, rl) && (rin[rl] == '/' || rl == 1))) {
			snprintf(err, errlen,
				 "%s holds the input %s: the report folder is replaced as a whole, so it must not hold "
				 "an input; choose another -o",
				 dir, inputs[i]);
			rc = -1;
		}
		free(rin);
	}
	free(rdir);
	if (rc == 0 && !looks_like_report(final)) {
		snprintf(err, errlen,
			 "%s exists and is not a leakscope report folder (no summary.xml of ours in it): not replacing "
			 "it; choose another -o or remove it",
			 dir);
		rc = -1;
	}
	return rc;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p) < 0 ? -1 : 0; /* a symlink: the link itself (FTW_PHYS) */
}

/* Removes a folder and what it holds, never following a symlink. */
static int rm_tree(const char *p)
{
	return nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int od_remove_tree(const char *p)
{
	struct stat st;
	if (lstat(p, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(p); /* a planted link or file: the name goes, not what it points to */
	return rm_tree(p);
}

int od_begin(struct od_stage *st, const char *dir, char *err, size_t errlen)
{
	char parent[4096], base[NAME_MAX + 1];
	memset(st, 0, sizeof(*st));
	if (split_path(dir, st->final, parent, base, err, errlen) < 0)
		return -1;
	if (ls_mkdir_p(parent) < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", parent, strerror(errno));
		return -1;
	}
	int n = snprintf(st->tmp, sizeof(st->tmp), "%s/.%s.new-XXXXXX", parent, base);
	if (n < 0 || (size_t)n >= sizeof(st->tmp)) {
		snprintf(err, errlen, "%s: path too long", dir);
		st->tmp[0] = '\0';
		return -1;
	}
	if (!mkdtemp(st->tmp)) {
		snprintf(err, errlen, "%s: cannot create a folder beside it: %s", dir, strerror(errno));
		st->tmp[0] = '\0';
		return -1;
	}
	/* mkdtemp makes it 0700; a report folder is as mkdir would make it */
	mode_t um = umask(0);
	umask(um);
	char hosts[4200];
	snprintf(hosts, sizeof(hosts), "%s/hosts", st->tmp);
	if (chmod(st->tmp, 0777 & ~um) < 0 || mkdir(hosts, 0777) < 0) {
		snprintf(err, errlen, "%s: %s", st->tmp, strerror(errno));
		od_abort(st);
		return -1;
	}
	return 0;
}

void od_abort(struct od_stage *st)
{
	if (st->tmp[0])
		rm_tree(st->tmp);
	st->tmp[0] = '\0';
}

int od_commit(struct od_stage *st, char *err, size_t errlen)
{
	struct stat sd;
	bool exists = lstat(st->final, &sd) == 0;
	const char *gone = NULL; /* the earlier folder, to remove */
	char old[4200];
	if (!exists) {
		if (renameat2(AT_FDCWD, st->tmp, AT_FDCWD, st->final, RENAME_NOREPLACE) < 0 &&
		    ((errno != EINVAL && errno != ENOSYS) || rename(st->tmp, st->final) < 0)) {
			snprintf(err, errlen, "%s: cannot put the report in place: %s", st->final, strerror(errno));
			od_abort(st);
			return -1;
		}
	} else if (renameat2(AT_FDCWD, st->tmp, AT_FDCWD, st->final, RENAME_EXCHANGE) == 0) {
		gone = st->tmp; /* now holds the earlier report */
	} else if (errno == EINVAL || errno == ENOSYS) {
		/* no atomic exchange on this file system: two renames */
		snprintf(old, sizeof(old), "%.4000s.old", st->tmp);
		if (rename(st->final, old) < 0) {
			snprintf(err, errlen, "%s: cannot move the earlier report aside: %s", st->final, strerror(errno));
			od_abort(st);
			return -1;
		}
		if (rename(st->tmp, st->final) < 0) {
			int e = errno;
			rename(old, st->final); /* put the earlier one back */
			snprintf(err, errlen, "%s: cannot put the report in place: %s", st->final, strerror(e));
			od_abort(st);
			return -1;
		}
		gone = old;
	} else {
		snprintf(err, errlen, "%s: cannot put the report in place: %s", st->final, strerror(errno));
		od_abort(st);
		return -1;
	}
	if (gone && rm_tree(gone) < 0)
		fprintf(stderr, "leakscope: warning: the earlier report folder, now %s, could not be removed: %s\n", gone,
			strerror(errno));
	st->tmp[0] = '\0';
	return 0;
}

FILE *od_create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

static unsigned long long tree_bytes_at(int dfd, int depth)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	unsigned long long sum = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat sb;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(sb.st_mode)) {
			sum += (unsigned long long)sb.st_size;
		} else if (S_ISDIR(sb.st_mode) && depth < 4) {
			int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				sum += tree_bytes_at(fd, depth + 1);
		}
	}
	closedir(d);
	return sum;
}

unsigned long long od_tree_bytes(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? 0 : tree_bytes_at(fd, 0);
}
