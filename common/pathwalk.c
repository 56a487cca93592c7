/*
 * pathwalk.c: the policy files below a directory (pathwalk.h); shared by
 * the analyzer's policy loader and the CIDR extractor of redaction.
 */
#include "common/pathwalk.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

int pathwalk_is_policy_file(const char *name)
{
    size_t len = strlen(name);

    return (len > 5 && strcmp(name + len - 5, ".yaml") == 0) ||
           (len > 4 && strcmp(name + len - 4, ".yml") == 0) ||
           (len > 5 && strcmp(name + len - 5, ".json") == 0);
}

static int name_cmp(const void *a, const void *b)
{
    const char *const *x = a;
    const char *const *y = b;

    return strcmp(*x, *y);
}

static unsigned walk(const char *dir, pathwalk_fn fn, void *ctx, struct diag *d, int depth)
{
    DIR *dp;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, alloc = 0;
    unsigned problems = 0;

    if (depth > LIM_POLICY_DIR_DEPTH) {
        diag_err(d, "'%s': directories nested more than %d deep", dir, LIM_POLICY_DIR_DEPTH);
        return 1;
    }
    dp = opendir(dir);
    if (!dp) {
        diag_err(d, "cannot open directory '%s': %s", dir, strerror(errno));
        return 1;
    }
    while ((de = readdir(dp))) {
        if (de->d_name[0] == '.')
            continue;
        ALLOC_GROW(names, n + 1, alloc);
        names[n++] = xstrdup(de->d_name);
    }
    closedir(dp);
    if (n) /* qsort(NULL, 0, ...) is undefined behaviour */
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *full = xmalloc(len);
        struct stat st;

        snprintf(full, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
        if (stat(full, &st) != 0) {
            diag_err(d, "cannot read '%s': %s", full, strerror(errno));
            problems++;
        } else if (S_ISDIR(st.st_mode)) {
            problems += walk(full, fn, ctx, d, depth + 1);
        } else if (S_ISREG(st.st_mode) && pathwalk_is_policy_file(names[i])) {
            fn(ctx, full);
        }
        free(full);
        free(names[i]);
    }
    free(names);
    return problems;
}

unsigned pathwalk_dir(const char *dir, pathwalk_fn fn, void *ctx, struct diag *d)
{
    return walk(dir, fn, ctx, d, 0);
}
