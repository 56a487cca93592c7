/*
 * test_nl_link.c: the link dump and link events (capture/nl_link.c).  The
 * event test runs as root in a child with its own network namespace, so
 * the links it makes and deletes are its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/nl_link.h"
#include "common/err.h"
#include "common/compat.h"

struct seen {
    int lo;         /* ifindex of lo, 0: not reported */
    int present;    /* reports of the test link present */
    int gone;       /* reports of the test link gone */
    unsigned flags; /* flags of its last report */
};

static void on_link(void *ctx, enum nl_link_event ev, int ifindex, const char *name, unsigned flags)
{
    struct seen *s = ctx;

    if (strcmp(name, "lo") == 0 && ev == NL_LINK_PRESENT)
        s->lo = ifindex;
    if (strcmp(name, "pftest0") == 0) {
        if (ev == NL_LINK_PRESENT)
            s->present++;
        else
            s->gone++;
        s->flags = flags;
    }
}

static void test_dump(void **state)
{
    struct nl_link_mon *m;
    struct diag d;
    struct seen s;

    (void)state;
    memset(&s, 0, sizeof(s));
    diag_init(&d, NULL, "test");
    assert_int_equal(nl_link_open(&d, &m), 0);
    assert_true(nl_link_fd(m) >= 0);
    assert_int_equal(nl_link_dump(m, on_link, &s), 0);
    assert_int_equal(s.lo, (int)if_nametoindex("lo"));
    /* nothing pending: returns at once */
    assert_int_equal(nl_link_read(m, on_link, &s), 0);
    nl_link_close(&m);
    assert_null(m);
    nl_link_close(&m); /* NULL: nothing */
}

/* Wait up to 2 s for events and read them. */
static int pump(struct nl_link_mon *m, struct seen *s)
{
    struct pollfd p = {nl_link_fd(m), POLLIN, 0};

    if (poll(&p, 1, 2000) != 1)
        return -1;
    return nl_link_read(m, on_link, s);
}

/* Child: in a new network namespace, watch a veth come, go up, and go. */
static int events_child(void)
{
    struct nl_link_mon *m;
    struct diag d;
    struct seen s;

    memset(&s, 0, sizeof(s));
    diag_init(&d, NULL, "test");
    if (unshare(CLONE_NEWNET) != 0)
        return 77;
    if (nl_link_open(&d, &m) != 0 || nl_link_dump(m, on_link, &s) != 0)
        return 1;
    if (s.present != 0)
        return 2; /* a fresh namespace has only lo */
    if (system("ip link add pftest0 type veth peer name pftest1") != 0)
        return 77;
    if (pump(m, &s) < 0 || s.present < 1 || (s.flags & IFF_UP))
        return 3;
    if (system("ip link set pftest0 up") != 0 || pump(m, &s) < 0 || !(s.flags & IFF_UP))
        return 4;
    if (system("ip link del pftest0") != 0 || pump(m, &s) < 0)
        return 5;
    /* the deletion may come after a last change report */
    while (s.gone == 0 && pump(m, &s) >= 0)
        ;
    if (s.gone != 1)
        return 6;
    nl_link_close(&m);
    return 0;
}

static void test_events(void **state)
{
    int status;
    pid_t pid;

    (void)state;
    if (geteuid() != 0 || system("command -v ip > /dev/null") != 0)
        skip();
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(events_child());
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip();
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
