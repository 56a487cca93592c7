/*
 * test_ifset.c: the live interface set (capture/ifset.c) driven by
 * synthetic links and netlink events: a fake kernel holds the links the
 * dump reports and the events a read delivers; opening, recording and
 * closing sources are logged, so each case checks what the set opened,
 * closed (and with which vanished time) and recorded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "capture/ifset.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/xmalloc.h"
#include "common/compat.h"

#define MAX_LINKS  8
#define MAX_EVENTS 8

struct fake_link {
    int ifindex;
    const char *name;
    unsigned flags;
};

struct fake_event {
    enum nl_link_event ev;
    struct fake_link l;
};

struct fake {
    struct fake_link links[MAX_LINKS]; /* what a dump reports (and if_nametoindex knows) */
    size_t nlinks;
    struct fake_event events[MAX_EVENTS]; /* what the next read delivers */
    size_t nevents;
    int lost;                 /* the next read says events were lost */
    int dump_rc;              /* dump fails with this */
    const char *fail_open;    /* opening this name fails ... */
    int fail_open_rc;         /* ... with this */
    int fail_added, fail_end; /* recording fails (ERR_DB) */
    int64_t next_id;          /* interfaces.id given by added */
    char log[1024];           /* what happened, one word per call */
};

static void logf_(struct fake *f, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void logf_(struct fake *f, const char *fmt, ...)
{
    size_t len = strlen(f->log);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(f->log + len, sizeof(f->log) - len, fmt, ap);
    va_end(ap);
}

static int fake_dump(void *ctx, nl_link_fn fn, void *fn_ctx)
{
    struct fake *f = ctx;

    if (f->dump_rc)
        return f->dump_rc;
    for (size_t i = 0; i < f->nlinks; i++)
        fn(fn_ctx, NL_LINK_PRESENT, f->links[i].ifindex, f->links[i].name, f->links[i].flags);
    return 0;
}

static int fake_read(void *ctx, nl_link_fn fn, void *fn_ctx)
{
    struct fake *f = ctx;

    for (size_t i = 0; i < f->nevents; i++)
        fn(fn_ctx, f->events[i].ev, f->events[i].l.ifindex, f->events[i].l.name,
           f->events[i].l.flags);
    f->nevents = 0;
    if (f->lost) {
        f->lost = 0;
        return 1;
    }
    return 0;
}

static int fake_open(void *ctx, struct src *s, const char *name, int ifindex)
{
    struct fake *f = ctx;

    if (f->fail_open && strcmp(f->fail_open, name) == 0) {
        logf_(f, "openfail:%s ", name);
        return f->fail_open_rc;
    }
    memset(s, 0, sizeof(*s));
    s->name = xstrdup(name);
    s->kind = SRC_LIVE;
    s->ifindex = ifindex;
    s->fd = -1;
    logf_(f, "open:%s ", name);
    return 0;
}

static int fake_added(void *ctx, struct src *s)
{
    struct fake *f = ctx;

    if (f->fail_added)
        return ERR_DB;
    s->db_id = ++f->next_id;
    logf_(f, "row:%s=%lld ", s->name, (long long)s->db_id);
    return 0;
}

static int fake_closed(void *ctx, struct src *s, int64_t vanished_ns)
{
    struct fake *f = ctx;

    logf_(f, "close:%s@%lld ", s->name, (long long)vanished_ns);
    src_close(s);
    return f->fail_end ? ERR_DB : 0;
}

static const struct fake_link *fake_find(const struct fake *f, const char *name)
{
    for (size_t i = 0; i < f->nlinks; i++)
        if (strcmp(f->links[i].name, name) == 0)
            return &f->links[i];
    return NULL;
}

static int fake_ifindex(void *ctx, const char *name)
{
    const struct fake_link *l = fake_find(ctx, name);

    return l ? l->ifindex : 0;
}

static int fake_is_up(void *ctx, const char *name)
{
    const struct fake_link *l = fake_find(ctx, name);

    return l && (l->flags & IFF_UP);
}

static const struct ifset_ops fake_ops = {
    fake_dump, fake_read, fake_open, fake_added, fake_closed, fake_ifindex, fake_is_up,
};

/* The kernel's links change: the event is queued and the dump (and the
 * name lookups) see the new state, as after the change. */
static void kernel(struct fake *f, enum nl_link_event ev, int ifindex, const char *name,
                   unsigned flags)
{
    size_t i;

    for (i = 0; i < f->nlinks && f->links[i].ifindex != ifindex; i++)
        ;
    if (ev == NL_LINK_GONE) {
        if (i < f->nlinks)
            f->links[i] = f->links[--f->nlinks];
    } else {
        if (i == f->nlinks)
            f->nlinks++;
        f->links[i] = (struct fake_link){ifindex, name, flags};
    }
    assert_true(f->nevents < MAX_EVENTS);
    f->events[f->nevents++] = (struct fake_event){ev, {ifindex, name, flags}};
}

/* The open sources' names, sorted, space separated. */
static const char *open_names(const struct ifset *set)
{
    static char out[256];
    const char *names[MAX_LINKS + 1];
    size_t n = 0;

    for (size_t i = 0; i < set->n && n < ARRAY_SIZE(names); i++) {
        size_t j = n++;

        for (; j > 0 && strcmp(names[j - 1], set->srcs[i].name) > 0; j--)
            names[j] = names[j - 1];
        names[j] = set->srcs[i].name;
    }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "", names[i]);
    return out;
}

struct world {
    struct fake f;
    struct diag d;
    struct ifset set;
    char errbuf[512];
    FILE *err;
};

static void world_init(struct world *w, char **pats, size_t npats)
{
    memset(w, 0, sizeof(*w));
    w->err = fmemopen(w->errbuf, sizeof(w->errbuf) - 1, "w");
    assert_non_null(w->err);
    setvbuf(w->err, NULL, _IONBF, 0);
    diag_init(&w->d, w->err, "test");
    ifset_init(&w->set, pats, npats, &fake_ops, &w->f, &w->d);
}

static void world_release(struct world *w)
{
    ifset_release(&w->set);
    fclose(w->err);
}

/* Start the set (no link matches yet unless the caller added some) and
 * record from now on, as after the captures row is written. */
static void world_start(struct world *w)
{
    assert_int_equal(ifset_start(&w->set), 0);
    ifset_recording(&w->set);
}

#define UP IFF_UP

/* Start-up: what is opened, what fails, what is only warned about. */
static void test_ifset_start(void **state)
{
    static const struct {
        const char *what;
        const char *pats[3];
        struct fake_link links[4];
        const char *fail_open; /* opening this name fails with ERR_PCAP */
        int rc;                /* ifset_start()'s result */
        const char *opened;    /* sources open after start, sorted */
        const char *err;       /* a substring of what was reported, or NULL for nothing */
    } cases[] = {
        {"a glob opens every matching link that is up, nothing else",
         {"cali*"},
         {{2, "cali1", UP}, {3, "cali2", UP}, {4, "eth0", UP}, {5, "cali3", 0}},
         NULL,
         0,
         "cali1 cali2",
         NULL},
        {"a glob that matches nothing yet is a warning, not an error",
         {"cali*"},
         {{4, "eth0", UP}},
         NULL,
         0,
         "",
         "no interface matches 'cali*' now: nothing is captured from it until one appears"},
        {"a name given without a glob must exist",
         {"eth9"},
         {{4, "eth0", UP}},
         NULL,
         ERR_NOTFOUND,
         "",
         "cannot capture on 'eth9': no such interface"},
        {"a named link that is down is opened (its failure names it)",
         {"eth0"},
         {{4, "eth0", 0}},
         "eth0",
         ERR_PCAP,
         "",
         NULL},
        {"a named link that fails to open fails the start",
         {"eth0", "cali*"},
         {{2, "cali1", UP}, {4, "eth0", UP}},
         "eth0",
         ERR_PCAP,
         "cali1",
         NULL},
        {"a glob's link that fails to open at start fails it too",
         {"cali*"},
         {{2, "cali1", UP}},
         "cali1",
         ERR_PCAP,
         "",
         NULL},
        {"'any' is opened without a link of that name",
         {"any"},
         {{4, "eth0", UP}},
         NULL,
         0,
         "any",
         NULL},
        {"a link matched by two patterns is opened once",
         {"eth*", "eth0"},
         {{4, "eth0", UP}},
         NULL,
         0,
         "eth0",
         NULL},
    };

    (void)state;
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        struct world w;
        char *pats[3];
        size_t npats = 0;

        print_message("  %s\n", cases[c].what);
        for (; npats < 3 && cases[c].pats[npats]; npats++)
            pats[npats] = (char *)(uintptr_t)cases[c].pats[npats];
        world_init(&w, pats, npats);
        for (size_t i = 0; i < ARRAY_SIZE(cases[c].links) && cases[c].links[i].name; i++)
            w.f.links[w.f.nlinks++] = cases[c].links[i];
        w.f.fail_open = cases[c].fail_open;
        w.f.fail_open_rc = ERR_PCAP;
        assert_int_equal(ifset_start(&w.set), cases[c].rc);
        assert_string_equal(open_names(&w.set), cases[c].opened);
        if (cases[c].err)
            assert_non_null(strstr(w.errbuf, cases[c].err));
        else
            assert_string_equal(w.errbuf, "");
        assert_null(strstr(w.f.log, "row:")); /* not recording yet */
        world_release(&w);
    }
}

/* A pod comes and goes: events open and close its link, with rows. */
static void test_ifset_events_pod_lifecycle(void **state)
{
    char p0[] = "cali*", *pats[] = {p0};
    struct world w;

    (void)state;
    world_init(&w, pats, 1);
    w.f.links[w.f.nlinks++] = (struct fake_link){1, "lo", UP};
    world_start(&w);
    assert_string_equal(open_names(&w.set), "");

    /* created down, then set up: opened once, when up */
    kernel(&w.f, NL_LINK_PRESENT, 7, "cali7", 0);
    kernel(&w.f, NL_LINK_PRESENT, 7, "cali7", UP);
    kernel(&w.f, NL_LINK_PRESENT, 7, "cali7", UP);  /* reported twice: idempotent */
    kernel(&w.f, NL_LINK_PRESENT, 8, "other0", UP); /* does not match */
    assert_int_equal(ifset_events(&w.set, 100), 0);
    assert_string_equal(open_names(&w.set), "cali7");
    assert_string_equal(w.f.log, "open:cali7 row:cali7=1 ");

    /* set down: closed as vanished; up again: a new row */
    w.f.log[0] = '\0';
    kernel(&w.f, NL_LINK_PRESENT, 7, "cali7", 0);
    assert_int_equal(ifset_events(&w.set, 200), 0);
    kernel(&w.f, NL_LINK_PRESENT, 7, "cali7", UP);
    assert_int_equal(ifset_events(&w.set, 300), 0);
    assert_string_equal(w.f.log, "close:cali7@200 open:cali7 row:cali7=2 ");

    /* renamed out of the glob: closed; deleted: nothing more */
    w.f.log[0] = '\0';
    kernel(&w.f, NL_LINK_PRESENT, 7, "eth7", UP);
    kernel(&w.f, NL_LINK_GONE, 7, "eth7", 0);
    assert_int_equal(ifset_events(&w.set, 400), 0);
    assert_string_equal(w.f.log, "close:cali7@400 ");
    assert_string_equal(open_names(&w.set), "");
    /* the only message: the glob matched nothing at the start (said even
     * with -q) */
    assert_string_equal(w.errbuf, "test: warning: no interface matches 'cali*' now: nothing is "
                                  "captured from it until one appears ('ip link' lists this "
                                  "node's links)\n");
    assert_int_equal(w.set.opened, 2); /* cali7, and again after it was set down and up */
    world_release(&w);
}

/* A link reported by an event but gone again by the time it is opened (a
 * pod that failed to start) is no error; an open that fails later is not
 * fatal either. */
static void test_ifset_events_gone_before_open(void **state)
{
    char p0[] = "cali*", *pats[] = {p0};
    struct world w;

    (void)state;
    world_init(&w, pats, 1);
    world_start(&w);
    kernel(&w.f, NL_LINK_PRESENT, 9, "cali9", UP);
    kernel(&w.f, NL_LINK_GONE, 9, "cali9", 0); /* the kernel no longer knows it */
    w.f.nevents = 1;                           /* ... but only the first event is read */
    assert_int_equal(ifset_events(&w.set, 10), 0);
    assert_string_equal(w.f.log, "");

    kernel(&w.f, NL_LINK_PRESENT, 10, "cali10", UP);
    w.f.fail_open = "cali10";
    w.f.fail_open_rc = ERR_PCAP;
    assert_int_equal(ifset_events(&w.set, 20), 0);
    assert_string_equal(w.f.log, "openfail:cali10 ");
    assert_string_equal(open_names(&w.set), "");
    world_release(&w);
}

/* Events were lost: the re-dump opens what appeared and closes what the
 * dump no longer shows (or shows down); "any" is no link and stays. */
static void test_ifset_resync(void **state)
{
    char p0[] = "cali*", p1[] = "any", *pats[] = {p0, p1};
    struct world w;

    (void)state;
    world_init(&w, pats, 2);
    w.f.links[w.f.nlinks++] = (struct fake_link){2, "cali2", UP};
    w.f.links[w.f.nlinks++] = (struct fake_link){3, "cali3", UP};
    w.f.links[w.f.nlinks++] = (struct fake_link){4, "cali4", UP};
    world_start(&w);
    assert_string_equal(open_names(&w.set), "any cali2 cali3 cali4");

    /* the kernel changes, the events are dropped */
    kernel(&w.f, NL_LINK_GONE, 2, "cali2", 0);
    kernel(&w.f, NL_LINK_PRESENT, 4, "cali4", 0);
    kernel(&w.f, NL_LINK_PRESENT, 5, "cali5", UP);
    w.f.nevents = 0;
    w.f.lost = 1;
    w.f.log[0] = '\0';
    assert_int_equal(ifset_events(&w.set, 50), 0);
    assert_string_equal(open_names(&w.set), "any cali3 cali5");
    assert_non_null(strstr(w.f.log, "close:cali2@50 "));
    assert_non_null(strstr(w.f.log, "close:cali4@50 "));
    assert_non_null(strstr(w.f.log, "open:cali5 row:cali5="));
    assert_null(strstr(w.f.log, "close:any"));
    assert_null(strstr(w.f.log, "cali3"));

    /* a dump that fails is the caller's failure */
    w.f.lost = 1;
    w.f.dump_rc = ERR_NETLINK;
    assert_int_equal(ifset_events(&w.set, 60), ERR_NETLINK);
    world_release(&w);
}

/* A handle fails: vanished when its link went away or down, else a
 * warning and no vanished time. */
static void test_ifset_failed(void **state)
{
    char p0[] = "cali*", *pats[] = {p0};
    struct world w;

    (void)state;
    world_init(&w, pats, 1);
    w.f.links[w.f.nlinks++] = (struct fake_link){2, "cali2", UP};
    w.f.links[w.f.nlinks++] = (struct fake_link){3, "cali3", UP};
    world_start(&w);

    w.f.links[0].flags = 0; /* cali2 went down, netlink has not said so yet */
    for (size_t i = 0; i < w.set.n; i++)
        if (strcmp(w.set.srcs[i].name, "cali2") == 0) {
            ifset_failed(&w.set, i, "Network is down", 70);
            break;
        }
    assert_string_equal(w.f.log, "open:cali2 open:cali3 close:cali2@70 ");
    assert_string_equal(w.errbuf, "");

    ifset_failed(&w.set, 0, "Something else", 80); /* cali3, still up */
    assert_non_null(strstr(w.f.log, "close:cali3@0 "));
    assert_non_null(strstr(w.errbuf, "'cali3': capture stopped: Something else"));
    assert_int_equal(w.set.n, 0);
    world_release(&w);
}

/* Failures to record: a new row (the source is closed again) or an end
 * row fail the set, and ifset_events() says so. */
static void test_ifset_db_failures(void **state)
{
    char p0[] = "cali*", *pats[] = {p0};
    struct world w;

    (void)state;
    world_init(&w, pats, 1);
    world_start(&w);
    w.f.fail_added = 1;
    kernel(&w.f, NL_LINK_PRESENT, 2, "cali2", UP);
    assert_int_equal(ifset_events(&w.set, 10), ERR_DB);
    assert_int_equal(w.set.n, 0);
    assert_int_equal(w.set.failed, 1);
    world_release(&w);

    world_init(&w, pats, 1);
    world_start(&w);
    kernel(&w.f, NL_LINK_PRESENT, 2, "cali2", UP);
    assert_int_equal(ifset_events(&w.set, 10), 0);
    w.f.fail_end = 1;
    kernel(&w.f, NL_LINK_GONE, 2, "cali2", 0);
    assert_int_equal(ifset_events(&w.set, 20), ERR_DB);
    assert_int_equal(w.set.n, 0);
    world_release(&w);
}

/* After -Z no link can be opened: one warning, however many appear. */
static void test_ifset_no_open(void **state)
{
    char p0[] = "cali*", *pats[] = {p0};
    struct world w;

    (void)state;
    world_init(&w, pats, 1);
    world_start(&w);
    ifset_no_open(&w.set);
    kernel(&w.f, NL_LINK_PRESENT, 2, "cali2", UP);
    kernel(&w.f, NL_LINK_PRESENT, 3, "cali3", UP);
    assert_int_equal(ifset_events(&w.set, 10), 0);
    assert_int_equal(w.set.n, 0);
    assert_string_equal(w.f.log, "");
    assert_non_null(strstr(w.errbuf, "'cali2' appeared but cannot be captured after -Z"));
    assert_null(strstr(w.errbuf, "cali3"));
    world_release(&w);
}

/* At most LIM_IFACES sources: past it a link is named in a warning (and
 * fails the start). */
static void test_ifset_limit(void **state)
{
    char p0[] = "*", *pats[] = {p0};
    struct world w;
    char names[LIM_IFACES + 1][16];

    (void)state;
    world_init(&w, pats, 1);
    assert_int_equal(ifset_start(&w.set), 0);
    for (int i = 0; i <= LIM_IFACES; i++) {
        snprintf(names[i], sizeof(names[i]), "v%d", i);
        kernel(&w.f, NL_LINK_PRESENT, i + 1, names[i], UP);
        assert_int_equal(ifset_events(&w.set, 1), 0);
        w.f.nlinks = 0; /* keep the fake's table small: the set holds its own */
    }
    assert_int_equal(w.set.n, LIM_IFACES);
    assert_non_null(strstr(w.errbuf, "already capturing on"));
    world_release(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ifset_start),
        cmocka_unit_test(test_ifset_events_pod_lifecycle),
        cmocka_unit_test(test_ifset_events_gone_before_open),
        cmocka_unit_test(test_ifset_resync),
        cmocka_unit_test(test_ifset_failed),
        cmocka_unit_test(test_ifset_db_failures),
        cmocka_unit_test(test_ifset_no_open),
        cmocka_unit_test(test_ifset_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
