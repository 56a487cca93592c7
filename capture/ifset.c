/*
 * ifset.c: the live interface set (ifset.h says what and why).
 *
 * Sources are an unordered array: closing one moves the last into its
 * place, so they are found by ifindex or name, never by position.  A
 * link is one decision per report (on_link()), the same at start, for
 * an event and during a re-dump; only what a failure to open means
 * differs (at start a named link must open; later a link may already be
 * gone again, a pod that failed to start, and that is no error).
 */
#include "capture/ifset.h"

#include <fnmatch.h>
#include <net/if.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* One pass of reports: start-up, events, or a re-dump. */
struct ifset_pass {
    struct ifset *set;
    int start; /* start-up: open failures are the run's failure */
    int rc;    /* first failure worth returning */
    int64_t now;
    int resync; /* a re-dump: remember what it reports in seen */
    int *seen;  /* resync: ifindexes the dump reported up (malloc'd) */
    size_t n_seen, alloc_seen;
};

static int is_glob(const char *p)
{
    return strpbrk(p, "*?[") != NULL;
}

static int matches(const struct ifset *set, const char *name)
{
    for (size_t i = 0; i < set->npats; i++)
        if (fnmatch(set->pats[i], name, 0) == 0)
            return 1;
    return 0;
}

/* 1 when name is matched by globs only, not named on the command line:
 * then a link that is down at start is waited for, not an error. */
static int is_glob_only(const struct ifset *set, const char *name)
{
    for (size_t i = 0; i < set->npats; i++)
        if (strcmp(set->pats[i], name) == 0)
            return 0;
    return 1;
}

static struct src *find_ifindex(struct ifset *set, int ifindex)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->srcs[i].ifindex == ifindex)
            return &set->srcs[i];
    return NULL;
}

static struct src *find_name(struct ifset *set, const char *name)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->srcs[i].name, name) == 0)
            return &set->srcs[i];
    return NULL;
}

void ifset_init(struct ifset *set, char *const *pats, size_t npats, const struct ifset_ops *ops,
                void *ctx, struct diag *d)
{
    memset(set, 0, sizeof(*set));
    set->pats = pats;
    set->npats = npats;
    set->ops = ops;
    set->ctx = ctx;
    set->d = d;
}

void ifset_release(struct ifset *set)
{
    for (size_t i = 0; i < set->n; i++)
        src_close(&set->srcs[i]);
    free(set->srcs);
    set->srcs = NULL;
    set->n = set->alloc = 0;
}

void ifset_recording(struct ifset *set)
{
    set->recording = 1;
}

void ifset_no_open(struct ifset *set)
{
    set->no_open = 1;
}

/* Close source i (vanished at vanished_ns, 0: not vanished) and remove it:
 * the last source takes its place. */
static void close_at(struct ifset *set, size_t i, int64_t vanished_ns)
{
    if (set->ops->closed(set->ctx, &set->srcs[i], vanished_ns))
        set->failed = 1;
    set->srcs[i] = set->srcs[set->n - 1];
    set->n--;
}

static void close_src(struct ifset *set, struct src *s, int64_t vanished_ns)
{
    close_at(set, (size_t)(s - set->srcs), vanished_ns);
}

/* Open link (ifindex, name) and, once recording, give it its row.  start:
 * a failure is the run's failure (named on the command line, at start). */
static int open_link(struct ifset *set, int ifindex, const char *name, int start)
{
    struct src s;
    int rc;

    if (set->no_open) {
        /* Opening a packet socket needs CAP_NET_RAW, which -Z gave up. */
        if (!set->warned_no_open)
            diag_warn(set->d, "'%s' appeared but cannot be captured after -Z dropped privileges",
                      name);
        set->warned_no_open = 1;
        return 0;
    }
    if (set->n >= LIM_IFACES) {
        diag_warn(set->d, "'%s' not captured: already capturing on %d interfaces", name,
                  LIM_IFACES);
        return start ? ERR_LIMIT : 0;
    }
    /* A link reported by an event may already be gone again (a pod that
     * failed to start): that is no error. */
    if (!start && set->ops->ifindex(set->ctx, name) != ifindex)
        return 0;
    memset(&s, 0, sizeof(s));
    rc = set->ops->open(set->ctx, &s, name, ifindex);
    if (rc)
        return start || rc == ERR_PERM || rc == ERR_USAGE ? rc : 0;
    if (set->recording && set->ops->added(set->ctx, &s)) {
        src_close(&s);
        set->failed = 1;
        return ERR_DB;
    }
    ALLOC_GROW(set->srcs, set->n + 1, set->alloc);
    set->srcs[set->n++] = s;
    set->opened++;
    return 0;
}

static void on_link(void *arg, enum nl_link_event ev, int ifindex, const char *name, unsigned flags)
{
    struct ifset_pass *p = arg;
    struct ifset *set = p->set;
    struct src *s = find_ifindex(set, ifindex);
    int rc;

    /* A link set down is as gone for a capture (libpcap reports ENETDOWN
     * on it); it is opened anew, as a new interfaces row, when set up.  At
     * start a link named on the command line is opened even when down, so
     * that the failure names it. */
    if (ev == NL_LINK_GONE || !(flags & IFF_UP)) {
        if (s)
            close_src(set, s, p->now);
        if (ev == NL_LINK_GONE || !p->start || is_glob_only(set, name))
            return;
    }
    if (s && strcmp(s->name, name) != 0) {
        /* Renamed: the old name is gone; the new one may or may not match. */
        close_src(set, s, p->now);
        s = NULL;
    }
    if (p->resync && ev == NL_LINK_PRESENT && (flags & IFF_UP)) {
        /* during a re-dump: this link is still there */
        ALLOC_GROW(p->seen, p->n_seen + 1, p->alloc_seen);
        p->seen[p->n_seen++] = ifindex;
    }
    if (s || !matches(set, name))
        return;
    rc = open_link(set, ifindex, name, p->start);
    if (rc && !p->rc)
        p->rc = rc;
}

/* Events were lost: re-dump (which opens what appeared), then close the
 * links the dump no longer shows. */
static int resync(struct ifset *set, int64_t now)
{
    struct ifset_pass p = {set, 0, 0, now, 1, NULL, 0, 0};
    size_t i, j;
    int rc, found;

    rc = set->ops->dump(set->ctx, on_link, &p);
    for (i = set->n; rc == 0 && i-- > 0;) {
        if (set->srcs[i].ifindex < 0)
            continue; /* "any" is no link */
        for (j = 0, found = 0; j < p.n_seen && !found; j++)
            found = p.seen[j] == set->srcs[i].ifindex;
        if (!found)
            close_at(set, i, now);
    }
    free(p.seen);
    return rc;
}

int ifset_events(struct ifset *set, int64_t now)
{
    struct ifset_pass p = {set, 0, 0, now, 0, NULL, 0, 0};
    int rc = set->ops->read(set->ctx, on_link, &p);

    if (rc == 1)
        rc = resync(set, now);
    if (rc < 0)
        return rc;
    return set->failed ? ERR_DB : 0;
}

int ifset_start(struct ifset *set)
{
    struct ifset_pass p = {set, 1, 0, 0, 0, NULL, 0, 0};
    size_t i, j;
    int rc;

    /* Interfaces named without a glob must exist now.  "any" is libpcap's
     * pseudo-device (every link, Linux cooked headers): no link of that
     * name exists, so it is opened here, not from the dump. */
    for (i = 0; i < set->npats; i++) {
        const char *pat = set->pats[i];

        if (strcmp(pat, "any") == 0) {
            if (!find_name(set, "any")) {
                rc = open_link(set, -1, "any", 1);
                if (rc)
                    return rc;
            }
            continue;
        }
        if (!is_glob(pat) && set->ops->ifindex(set->ctx, pat) == 0) {
            diag_err(set->d, "cannot capture on '%s': no such interface", pat);
            return ERR_NOTFOUND;
        }
    }
    rc = set->ops->dump(set->ctx, on_link, &p);
    if (!rc)
        rc = p.rc;
    if (rc)
        return rc;
    for (i = 0; i < set->npats; i++) {
        int found = 0;

        for (j = 0; j < set->n && !found; j++)
            found = fnmatch(set->pats[i], set->srcs[j].name, 0) == 0;
        /* Said even with -q: on a node whose links are named otherwise
         * (flannel, Cilium) nothing would be recorded, silently. */
        if (!found && is_glob(set->pats[i]))
            diag_warn(set->d,
                      "no interface matches '%s' now: nothing is captured from it until one "
                      "appears ('ip link' lists this node's links)",
                      set->pats[i]);
    }
    return 0;
}

void ifset_failed(struct ifset *set, size_t i, const char *err, int64_t now)
{
    struct src *s = &set->srcs[i];

    /* The interface went down or away (libpcap: ENETDOWN, ENODEV), often
     * just before netlink says so: recorded as vanished (netlink reopens
     * it when it is back).  One still there and up failed otherwise:
     * worth a warning. */
    if (set->ops->ifindex(set->ctx, s->name) == s->ifindex && set->ops->is_up(set->ctx, s->name)) {
        diag_warn(set->d, "'%s': capture stopped: %s", s->name, err);
        close_at(set, i, 0);
    } else {
        close_at(set, i, now);
    }
}
