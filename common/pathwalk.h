/*
 * pathwalk.h: the policy files below a directory, as -p and
 * --keep-policy-nets read them: every *.yaml, *.yml and *.json, searched
 * recursively in byte order of names (messages come out the same on every
 * run); entries whose name starts with '.' are skipped (a Kubernetes
 * ConfigMap mount holds "..data" links to the same files).
 */
#ifndef PODFLOW_PATHWALK_H
#define PODFLOW_PATHWALK_H

struct diag;

/* Called with each file's path (valid during the call only). */
typedef void (*pathwalk_fn)(void *ctx, const char *file);

/* 1 when name ends in .yaml, .yml or .json. */
int pathwalk_is_policy_file(const char *name);

/*
 * Call fn for every policy file below dir (LIM_POLICY_DIR_DEPTH levels at
 * most).  Problems (a directory or entry that cannot be read, nesting too
 * deep) are reported through d and counted: the count is returned.
 */
unsigned pathwalk_dir(const char *dir, pathwalk_fn fn, void *ctx, struct diag *d);

#endif
