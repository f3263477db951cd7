/* relation.c - captures given together: the hosts each one saw, groups of captures that overlap in time, pairs that share no host. */
#include "relation.h"

#include <stdlib.h>

#include "analyze.h"
#include "event.h"
#include "util.h"

static bool near_in_time(const struct an_file *x, const struct an_file *y)
{
	/* [first, last] of each, widened by REL_NEAR_SEC */
	return x->first_sec <= y->last_sec + REL_NEAR_SEC && y->first_sec <= x->last_sec + REL_NEAR_SEC;
}

static bool overlap_in_time(const struct an_file *x, const struct an_file *y)
{
	return x->first_sec <= y->last_sec && y->first_sec <= x->last_sec;
}

static bool share_host(const struct an_relation *r, size_t i, size_t j)
{
	uint64_t both = ((uint64_t)1 << i) | ((uint64_t)1 << j);
	for (size_t h = 0; h < r->nhosts; h++)
		if ((r->host_files[h] & both) == both)
			return true;
	return false;
}

static int find(int *parent, int x)
{
	while (parent[x] != x)
		x = parent[x] = parent[parent[x]];
	return x;
}

struct an_relation *rel_compute(struct analysis *a)
{
	size_t nread = 0;
	for (size_t i = 0; i < a->nfiles; i++)
		nread += a->files[i].packets != 0;
	if (nread < 2 || a->nfiles > REL_MAX_FILES)
		return NULL;
	struct an_relation *r = xcalloc(1, sizeof(*r));
	r->nfiles = a->nfiles;
	r->nhosts = a->nhosts;
	r->host_files = xcalloc(a->nhosts ? a->nhosts : 1, sizeof(*r->host_files));
	r->file_hosts = xcalloc(a->nfiles, sizeof(*r->file_hosts));
	r->group = xcalloc(a->nfiles, sizeof(*r->group));
	an_prepare_reports(a);
	size_t nev = ev_count(a->ev);
	struct ev_reader *rd = ev_reader_new(a->ev, NULL);
	for (size_t i = 0; i < nev; i++) {
		const struct ev *e = ev_read(rd, i);
		if (!e || e->host_idx < 0 || (size_t)e->host_idx >= a->nhosts)
			continue;
		uint64_t *m = &r->host_files[e->host_idx];
		if (e->file_idx < REL_MAX_FILES)
			*m |= (uint64_t)1 << e->file_idx;
		if (e->resp_frame && e->resp_file_idx < REL_MAX_FILES)
			*m |= (uint64_t)1 << e->resp_file_idx;
	}
	ev_reader_free(rd);
	for (size_t h = 0; h < r->nhosts; h++)
		r->shared_hosts += (r->host_files[h] & (r->host_files[h] - 1)) != 0;
	for (size_t h = 0; h < r->nhosts; h++)
		for (size_t f = 0; f < r->nfiles; f++)
			r->file_hosts[f] += (r->host_files[h] >> f) & 1;
	int parent[REL_MAX_FILES];
	for (size_t i = 0; i < r->nfiles; i++)
		parent[i] = (int)i;
	for (size_t i = 0; i < r->nfiles; i++) {
		if (!a->files[i].packets)
			continue;
		for (size_t j = i + 1; j < r->nfiles; j++) {
			if (!a->files[j].packets)
				continue;
			bool shared = share_host(r, i, j);
			if (near_in_time(&a->files[i], &a->files[j]))
				parent[find(parent, (int)j)] = find(parent, (int)i);
			if (overlap_in_time(&a->files[i], &a->files[j]) && !shared && r->file_hosts[i] &&
			    r->file_hosts[j])
				r->nlonely++;
		}
	}
	/* groups numbered by their first capture */
	int num[REL_MAX_FILES];
	for (size_t i = 0; i < r->nfiles; i++)
		num[i] = -1;
	for (size_t i = 0; i < r->nfiles; i++) {
		if (!a->files[i].packets) {
			r->group[i] = -1;
			continue;
		}
		int root = find(parent, (int)i);
		if (num[root] < 0)
			num[root] = r->ngroups++;
		r->group[i] = num[root];
	}
	return r;
}

void rel_free(struct an_relation *r)
{
	if (!r)
		return;
	free(r->host_files);
	free(r->file_hosts);
	free(r->group);
	free(r);
}

bool rel_host_in(const struct an_relation *r, size_t h, size_t f)
{
	return r && h < r->nhosts && f < r->nfiles && ((r->host_files[h] >> f) & 1);
}
