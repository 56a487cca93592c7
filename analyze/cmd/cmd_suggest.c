/*
 * cmd_suggest.c: podflow-analyze suggest: policies from recorded traffic
 * (docs/semantics.md §18).  With --fix and -p, the smallest change to the
 * current set that allows the recorded flows it denies and that failed;
 * without -p (or with --from-scratch), least-privilege policies for every
 * workload with recorded traffic.  Either way the result is a whole
 * policy set written into --out DIR, then loaded back from there and
 * every recorded flow replayed against it (the proof), with the breadth
 * figure (what it allows that was never seen) and the flows it could not
 * express.  The engine decides (analyze/engine/suggest.c); this file reads
 * and writes the files and prints.
 */
#include <stdio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "analyze/cmd/cmd.h"
#include "analyze/engine/suggest.h"
#include "analyze/out/out.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/outfile.h"
#include "common/pathwalk.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

enum {
    O_POLICIES = 1,
    O_NO_POLICIES,
    O_FIX,
    O_SCRATCH,
    O_OUT,
    O_TIER,
    O_ENFORCED,
    O_KIND,
    O_PREFIX,
    O_FLOWS,
    O_NAMESPACE,
    O_QUIET,
    O_STRICT
};

static const char *const sg_kinds[] = {"calico", "k8s", NULL};
static const char *const sg_flows[] = {"denied-failed", "denied", NULL};

static const struct cmd_opt suggest_opts[] = {
    {O_POLICIES, 'p', "policies", CMD_ARG_LIST, "PATH...", NULL,
     "the current policy set (files, directories, not -)"},
    {O_NO_POLICIES, 0, "no-policies", CMD_ARG_NONE, NULL, NULL,
     "-p paths holding no policy object are meant"},
    {O_FIX, 0, "fix", CMD_ARG_NONE, NULL, NULL,
     "the smallest change to -p that allows the denied flows"},
    {O_SCRATCH, 0, "from-scratch", CMD_ARG_NONE, NULL, NULL,
     "least-privilege policies from the traffic alone\n(the default without -p)"},
    {O_OUT, 0, "out", CMD_ARG_ONE, "DIR", NULL,
     "the directory to write the policy set into\n(absent or empty)"},
    {O_TIER, 0, "tier", CMD_ARG_ONE, "NAME", NULL,
     "from scratch: the tier (default podflow-suggested)"},
    {O_ENFORCED, 0, "enforced", CMD_ARG_NONE, NULL, NULL,
     "from scratch: NetworkPolicy, not StagedNetworkPolicy"},
    {O_KIND, 0, "kind", CMD_ARG_ONE, "KIND", sg_kinds,
     "from scratch: calico (default) or k8s policies"},
    {O_PREFIX, 0, "external-prefix", CMD_ARG_ONE, "N", NULL,
     "from scratch: one network set per /N of external\naddresses (default 32; IPv6 /N+96)"},
    {O_FLOWS, 0, "flows", CMD_ARG_ONE, "WHICH", sg_flows,
     "--fix: denied-failed (default) or every denied flow"},
    {O_NAMESPACE, 0, "namespace", CMD_ARG_ONE, "NS", NULL, "only flows with an end in NS"},
    {O_QUIET, 'q', "quiet", CMD_ARG_NONE, NULL, NULL, "no unified diff, only the summary"},
    {O_STRICT, 0, "strict", CMD_ARG_NONE, NULL, NULL,
     "a row of a case that cannot be used is an error\n"
     "(exit 2), not left out with a warning"},
    {0, 0, NULL, 0, NULL, NULL, NULL},
};

/* Read all of path (at most LIM_YAML_FILE bytes) into *text (malloc'd). */
static int read_all(const char *path, char **text, size_t *len, struct diag *d)
{
    struct buf b;
    char chunk[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    if (fd < 0) {
        diag_err(d, "cannot read '%s': %s", path, strerror(errno));
        return -errno;
    }
    buf_init(&b, LIM_YAML_FILE);
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            diag_err(d, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
        if (!n)
            break;
        rc = buf_add(&b, chunk, (size_t)n);
        if (rc) {
            diag_err(d, "'%s': larger than %u bytes", path, LIM_YAML_FILE);
            break;
        }
    }
    close(fd);
    if (rc) {
        buf_release(&b);
        return rc;
    }
    *text = buf_detach(&b, len);
    return 0;
}

struct walk_ctx {
    struct sg_result *r;
    const char *prefix; /* "" or "name/" */
    size_t dirlen;      /* the walked directory's length, with its '/' */
    struct diag *d;
    int rc;
};

/* One file of a -p directory: named in DIR by its path below it. */
static void add_walked(void *ctx, const char *path)
{
    struct walk_ctx *w = ctx;
    const char *rel = strlen(path) > w->dirlen ? path + w->dirlen : path;
    char *text, *r;
    size_t len, n = strlen(w->prefix) + strlen(rel) + 1;

    if (w->rc)
        return;
    w->rc = read_all(path, &text, &len, w->d);
    if (w->rc)
        return;
    r = xmalloc(n);
    snprintf(r, n, "%s%s", w->prefix, rel);
    sg_result_add_file(w->r, path, r, text, len);
    free(r);
}

/* The current set's files, named in DIR as under the one -p directory,
 * or by each -p path's last component. */
static int read_current(const char *const *paths, size_t n, struct sg_result *r, struct diag *d)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct stat st;
        struct walk_ctx w;
        const char *base = strrchr(paths[i], '/');
        char pre[512];

        if (stat(paths[i], &st) != 0) {
            diag_err(d, "cannot read policy path '%s': %s", paths[i], strerror(errno));
            return -errno;
        }
        base = base && base[1] ? base + 1 : paths[i];
        w.r = r;
        w.d = d;
        w.rc = 0;
        if (S_ISDIR(st.st_mode)) {
            size_t dl = strlen(paths[i]);

            snprintf(pre, sizeof(pre), "%s/", base);
            w.prefix = n == 1 ? "" : pre;
            /* pathwalk_dir() joins dir and name with one '/' */
            w.dirlen = dl + (dl && paths[i][dl - 1] == '/' ? 0 : 1);
            if (pathwalk_dir(paths[i], add_walked, &w, d))
                return ERR_INVALID;
        } else {
            w.prefix = "";
            w.dirlen = strlen(paths[i]) - strlen(base);
            add_walked(&w, paths[i]);
        }
        if (w.rc)
            return w.rc;
    }
    for (i = 0; i < r->nfiles; i++)
        for (size_t k = i + 1; k < r->nfiles; k++)
            if (strcmp(r->files[i].rel, r->files[k].rel) == 0) {
                diag_err(d, "'%s' and '%s' would both be '%s' in the output directory",
                         r->files[i].path, r->files[k].path, r->files[i].rel);
                return ERR_INVALID;
            }
    return 0;
}

int cmd_suggest_fix(const struct flowset *fs, const char *const *paths, size_t npaths,
                    struct sg_result *r, struct diag *d)
{
    struct sg_opts o;
    size_t i;
    int rc;

    for (i = 0; i < npaths; i++)
        if (strcmp(paths[i], "-") == 0)
            return ERR_INVALID;
    memset(&o, 0, sizeof(o));
    rc = read_current(paths, npaths, r, d);
    return rc ? rc : sg_fix(fs, FS_NEW, &o, r, d);
}

/* DIR must be absent or empty: what is written there is the whole set
 * the proof loads back. */
static int out_dir_ok(const char *dir, struct diag *d)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    int empty = 1;

    if (!dp)
        return outfile_dir(dir, 0700, d); /* absent: made; else says why not */
    while ((de = readdir(dp)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            empty = 0;
    closedir(dp);
    if (!empty) {
        diag_err(d, "'%s' is not empty: suggest writes a whole policy set there", dir);
        return ERR_EXISTS;
    }
    return outfile_dir(dir, 0700, d);
}

/* Write file f into dir (its subdirectories made). */
static int write_file(const char *dir, const struct sg_file *f, struct diag *d)
{
    struct buf path, body;
    struct outfile of;
    char *slash;
    int rc;

    buf_init(&path, 0);
    buf_init(&body, 0);
    rc = buf_addf(&path, "%s/%s", dir, f->rel);
    for (slash = strchr(path.data + strlen(dir) + 1, '/'); !rc && slash;
         slash = strchr(slash + 1, '/')) {
        *slash = 0;
        rc = outfile_dir(path.data, 0700, d);
        *slash = '/';
    }
    if (!rc)
        rc = f->nedits ? pw_edits_apply(f->text, f->len, f->edits, f->nedits, &body)
                       : buf_add(&body, f->text, f->len);
    if (!rc && outfile_open(&of, path.data, 0600, 0, d) == 0) {
        if (outfile_write(&of, body.data, body.len, d) == 0)
            rc = outfile_commit(&of, d);
        else {
            outfile_abort(&of);
            rc = ERR_INVALID;
        }
    } else if (!rc) {
        rc = ERR_INVALID;
    }
    buf_release(&path);
    buf_release(&body);
    return rc;
}

static int print_flow(const struct flowset_flow *f, const char *why, struct buf *out)
{
    char s[IPADDR_STRLEN + 300], t[IPADDR_STRLEN + 300];
    const char *pn = proto_name(f->proto);
    int rc;

    out_ident(f->src, &f->src_ip, s, sizeof(s));
    out_ident(f->dst, &f->dst_ip, t, sizeof(t));
    if (pn)
        rc = buf_addf(out, "  %s -> %s %s/%u", s, t, pn, f->dst_port);
    else
        rc = buf_addf(out, "  %s -> %s %d/%u", s, t, f->proto, f->dst_port);
    return rc ? rc
              : buf_addf(out, " (%s %s)%s%s\n", observed_name(f->obs), f->state, why ? ": " : "",
                         why ? why : "");
}

static int print_result(const struct sg_result *r, const struct sg_proof *p, int fix,
                        const char *dir, int quiet, struct buf *out)
{
    size_t i;
    int rc = 0, c;

    if (fix) {
        rc = buf_addf(out, "%llu flow%s to fix; %zu change%s written to %s:\n",
                      (unsigned long long)r->targets, r->targets == 1 ? "" : "s", r->nchanges,
                      r->nchanges == 1 ? "" : "s", dir);
        for (i = 0; i < r->nchanges && !rc; i++)
            rc = buf_addf(out, "  %s\n", r->changes[i].text);
    } else {
        rc = buf_addf(out, "%llu polic%s with %llu rule%s and %llu network set%s written to %s\n",
                      (unsigned long long)r->policies, r->policies == 1 ? "y" : "ies",
                      (unsigned long long)r->rules, r->rules == 1 ? "" : "s",
                      (unsigned long long)r->netsets, r->netsets == 1 ? "" : "s", dir);
    }
    if (!rc)
        rc =
            buf_addf(out, "proof: %llu recorded flows replayed against %s; %llu of %llu %s allowed",
                     (unsigned long long)p->flows, dir, (unsigned long long)p->allowed,
                     (unsigned long long)p->expected, fix ? "flows to fix" : "expressible flows");
    for (c = 0; fix && c < FC_N && !rc; c++)
        rc = buf_addf(out, "%s %llu %s", c ? "," : ";", (unsigned long long)p->cls[c],
                      flowset_class_names[c]);
    if (!rc)
        rc = buf_addch(out, '\n');
    if (!rc && p->breadth_skipped)
        rc = buf_addf(out, "breadth: not measured (%llu candidates, more than %u)\n",
                      (unsigned long long)p->candidates, LIM_SUGGEST_BREADTH);
    else if (!rc)
        rc = buf_addf(out,
                      "breadth: %llu workload pair%s and port%s %s but never seen (of %llu "
                      "candidates: workload pairs x the destination's seen and declared ports; "
                      "%llu seen)\n",
                      (unsigned long long)p->unseen_allowed, p->unseen_allowed == 1 ? "" : "s",
                      p->unseen_allowed == 1 ? "" : "s", fix ? "newly allowed" : "allowed",
                      (unsigned long long)p->candidates, (unsigned long long)p->seen);
    if (!rc && p->nfailed)
        rc = buf_addstr(out, "NOT ALLOWED by the result (the proof failed):\n");
    for (i = 0; i < p->nfailed && !rc; i++)
        rc = print_flow(p->failed[i], NULL, out);
    if (!rc && r->nlisted)
        rc = buf_addf(out, "%zu flow%s not expressed:\n", r->nlisted, r->nlisted == 1 ? "" : "s");
    for (i = 0; i < r->nlisted && !rc; i++)
        rc = print_flow(r->listed[i].f, r->listed[i].why, out);
    for (i = 0; fix && !quiet && i < r->nfiles && !rc; i++) {
        const struct sg_file *f = &r->files[i];
        struct buf b;

        if (!f->path) {
            const char *t = f->text;
            size_t nl = 0;

            for (; *t; t++)
                nl += *t == '\n';
            rc = buf_addf(out, "\n--- /dev/null\n+++ %s/%s\n@@ -0,0 +1,%zu @@\n", dir, f->rel, nl);
            for (t = f->text; *t && !rc;) {
                const char *e = strchr(t, '\n');
                size_t k = e ? (size_t)(e - t) : strlen(t);

                rc = buf_addf(out, "+%.*s\n", (int)k, t);
                t += k + (e ? 1 : 0);
            }
            continue;
        }
        if (!f->nedits)
            continue;
        buf_init(&b, 0);
        rc = buf_addf(&b, "%s/%s", dir, f->rel);
        if (!rc)
            rc = buf_addch(out, '\n');
        if (!rc)
            rc = pw_edits_udiff(f->path, b.data, f->text, f->len, f->edits, f->nedits, out);
        buf_release(&b);
    }
    return rc;
}

static int cmd_suggest_run(struct cmd_args *a)
{
    struct diag *d = a->d;
    struct flowset fs;
    struct flowset_opts fo;
    struct sg_opts o;
    struct sg_result r;
    struct sg_proof p;
    const char **paths = xcalloc(a->n + 1, sizeof(*paths));
    char **cases = xcalloc(a->n + 1, sizeof(*cases));
    size_t npaths = 0, ncases = 0, i;
    const char *dir = NULL, *ns = NULL;
    int fix = 0, scratch = 0, enforced = 0, k8s = 0, quiet = 0, strict = 0, status = EXIT_BAD, k,
        loaded = 0;
    unsigned load_flags = 0;
    struct buf out;
    const char *dirs[1];

    memset(&o, 0, sizeof(o));
    o.tier = "podflow-suggested";
    o.tier_order = 100;
    o.prefix4 = 32;
    o.prefix6 = 128;
    sg_result_init(&r);
    buf_init(&out, 0);
    for (i = 0; i < a->n; i++) {
        const struct cmd_item *it = &a->v[i];
        uint64_t v;

        switch (it->id) {
        case CMD_OPERAND:
            cases[ncases++] = (char *)it->val; /* an argv string */
            break;
        case O_POLICIES:
            paths[npaths++] = it->val;
            break;
        case O_NO_POLICIES:
            load_flags |= POLICY_LOAD_ALLOW_EMPTY;
            break;
        case O_FIX:
            fix = 1;
            break;
        case O_SCRATCH:
            scratch = 1;
            break;
        case O_OUT:
            dir = it->val;
            break;
        case O_TIER:
            o.tier = it->val;
            break;
        case O_ENFORCED:
            enforced = 1;
            break;
        case O_KIND:
            k8s = it->choice == 1;
            break;
        case O_PREFIX:
            if (parse_u64(it->val, strlen(it->val), 0, 32, &v) != 0) {
                status = cmd_usage_err(a, "--external-prefix takes 0 to 32, not '%s'", it->val);
                goto out;
            }
            o.prefix4 = (int)v;
            o.prefix6 = (int)v + 96;
            break;
        case O_FLOWS:
            o.denied_any = it->choice == 1;
            break;
        case O_NAMESPACE:
            ns = it->val;
            break;
        case O_QUIET:
            quiet = 1;
            break;
        case O_STRICT:
            strict = 1;
            break;
        }
    }
    if (!ncases) {
        status = cmd_usage_err(a, "%s", "no case file given");
        goto out;
    }
    if (!dir) {
        status = cmd_usage_err(a, "%s", "--out DIR is needed: suggest writes a policy set");
        goto out;
    }
    if (fix && scratch) {
        status = cmd_usage_err(a, "%s", "--fix and --from-scratch exclude each other");
        goto out;
    }
    if (fix && !npaths) {
        status = cmd_usage_err(a, "%s", "--fix needs the current policies: -p PATH...");
        goto out;
    }
    if (npaths && !fix && !scratch) {
        status = cmd_usage_err(a, "%s", "with -p, say --fix or --from-scratch");
        goto out;
    }
    for (i = 0; i < npaths; i++)
        if (strcmp(paths[i], "-") == 0) {
            status = cmd_usage_err(a, "%s", "-p - (standard input) cannot be written back");
            goto out;
        }
    o.kind = k8s ? (enforced ? PW_K8S : PW_K8S_STAGED) : enforced ? PW_CALICO : PW_CALICO_STAGED;

    memset(&fo, 0, sizeof(fo));
    fo.paths[FS_NEW] = paths;
    fo.npaths[FS_NEW] = npaths;
    fo.ns = ns;
    fo.eng_flags = fix ? ENG_EXPLAIN : 0;
    fo.load_flags = load_flags | (npaths ? 0 : POLICY_LOAD_ALLOW_EMPTY);
    fo.strict = strict;
    if (flowset_load_many(&fs, cases, ncases, &fo, d))
        goto out;
    loaded = 1;
    if (fix) {
        if (read_current(paths, npaths, &r, d))
            goto out;
        if (sg_fix(&fs, FS_NEW, &o, &r, d)) {
            diag_err(d, "%s", "cannot write the suggestion: too large");
            goto out;
        }
    } else if (sg_scratch(&fs, FS_NEW, &o, &r)) {
        diag_err(d, "%s", "cannot write the suggestion: too large");
        goto out;
    }
    if (out_dir_ok(dir, d))
        goto out;
    for (i = 0; i < r.nfiles; i++)
        if (write_file(dir, &r.files[i], d))
            goto out;
    /* The proof replays the files as written. */
    dirs[0] = dir;
    if (npaths && !fix) {
        diag_warn(d, "%s", "the proof judges the suggestion alone, without the -p set");
    }
    if (flowset_add_set(&fs, dirs, 1, POLICY_LOAD_ALLOW_EMPTY, 0, &k, d)) {
        diag_err(d, "the written policies in '%s' do not load back: this is a bug in suggest", dir);
        goto out;
    }
    sg_prove(&fs, FS_NEW, k, fix, &o, &r, &p);
    /* Rows of the case left out as unusable: said first (docs/schema.md). */
    if (cmd_case_head(&fs.c, CMD_HEAD_TEXT, &out) || print_result(&r, &p, fix, dir, quiet, &out)) {
        diag_err(d, "%s", "cannot write the results: too large");
        goto out;
    }
    if (cmd_flush(&out, stdout) || fflush(stdout)) {
        diag_err(d, "cannot write to standard output: %s", strerror(errno));
        goto out;
    }
    status = p.allowed == p.expected && !p.cls[FC_WOULD_BREAK] ? EXIT_OK : EXIT_DENIED;
out:
    if (loaded)
        flowset_release(&fs);
    buf_release(&out);
    sg_result_release(&r);
    free(paths);
    free(cases);
    return status;
}

const struct cmd_spec cmd_suggest_spec = {
    .name = "suggest",
    .run = cmd_suggest_run,
    .opts = suggest_opts,
    .args = "CASE.db... [-p PATH... --fix | --from-scratch] --out DIR [options]",
    .summary = "policies from the recorded traffic: a fix, or a least-privilege set",
    .about = "With --fix and -p: the smallest change to the current policies that allows the\n"
             "recorded flows they deny and that failed (a rule's ports widened, else a new\n"
             "rule in the deciding policy, else a new policy in the deciding tier).  Without\n"
             "-p, or with --from-scratch: least-privilege policies for every workload with\n"
             "recorded traffic, staged in tier podflow-suggested.  The set is written into\n"
             "DIR, loaded back, and every recorded flow replayed against it (the proof).\n",
    .exit_status = "Exit status: 0 the proof holds, 1 it does not (a flow to allow is denied,\n"
                   "or a working flow would break), 2 bad input or usage.\n",
};
