/*
 * test_proc_scan.c: what process attribution reads from /proc and from a
 * sock_diag reply (capture/proc_scan.c, capture/sock_diag.c): link texts,
 * container ids in the cgroup paths of each runtime, a /proc tree of our
 * own making (symlinks whose text is what the kernel shows), and an
 * inet_diag_msg with an IPv4-mapped address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/proc_scan.h"
#include "capture/sock_diag.h"
#include "common/compat.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_link_inode(void **state)
{
    static const struct {
        const char *link, *prefix;
        int rc;
        uint64_t ino;
    } cases[] = {
        {"net:[4026531840]", "net", 0, 4026531840u}, /* a namespace */
        {"socket:[12345]", "socket", 0, 12345},      /* a socket */
        {"socket:[12345]", "net", -1, 0},            /* another kind */
        {"pipe:[12345]", "socket", -1, 0},           /* not a socket */
        {"socket:[]", "socket", -1, 0},              /* no number */
        {"socket:[12x]", "socket", -1, 0},           /* garbage */
        {"socket:[0]", "socket", -1, 0},             /* inode 0 is none */
        {"socket:[12345", "socket", -1, 0},          /* cut */
        {"/dev/null", "socket", -1, 0},              /* a file */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t ino = 0;

        assert_int_equal(
            proc_link_inode(cases[i].link, strlen(cases[i].link), cases[i].prefix, &ino),
            cases[i].rc);
        if (cases[i].rc == 0)
            assert_true(ino == cases[i].ino);
    }
}

static void test_container_id(void **state)
{
    static const struct {
        const char *cgroup;
        const char *id; /* "" none */
    } cases[] = {
        /* containerd, systemd driver */
        {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c_3d4e.slice/"
         "cri-containerd-" ID64 ".scope",
         ID64},
        /* cri-o */
        {"/kubepods.slice/kubepods-pod1.slice/crio-" ID64 ".scope", ID64},
        /* docker */
        {"/system.slice/docker-" ID64 ".scope", ID64},
        /* cgroupfs driver: the id is the last component */
        {"/kubepods/burstable/pod1b2c3d4e-5f60-7a8b-9c0d-1e2f3a4b5c6d/" ID64, ID64},
        /* no container: a session */
        {"/user.slice/user-0.slice/session-3.scope", ""},
        /* 63 or 65 hex digits are not an id */
        {"/x/" ID64 "a", ""},
        {"/x/123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ""},
        {"", ""},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char out[PROC_CONTAINER_LEN + 1];

        assert_int_equal(proc_container_id(cases[i].cgroup, out), cases[i].id[0] != '\0');
        assert_string_equal(out, cases[i].id);
    }
}

struct seen {
    int pids[8];
    uint64_t inos[8];
    size_t n;
};

static void on_pid(void *ctx, int pid, uint64_t ino)
{
    struct seen *s = ctx;

    assert_true(s->n < 8);
    s->pids[s->n] = pid;
    s->inos[s->n++] = ino;
}

static void on_sock(void *ctx, uint64_t ino)
{
    struct seen *s = ctx;

    assert_true(s->n < 8);
    s->inos[s->n++] = ino;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A /proc of two processes (and entries that are not processes). */
static void test_fake_proc(void **state)
{
    char root[] = "/tmp/test_proc_scan.XXXXXX", p[256];
    struct proc_info info;
    struct seen s;

    (void)state;
    assert_non_null(mkdtemp(root));
    snprintf(p, sizeof(p), "%s/self", root);
    assert_int_equal(mkdir(p, 0700), 0);
    for (int pid = 10; pid <= 11; pid++) {
        snprintf(p, sizeof(p), "%s/%d", root, pid);
        assert_int_equal(mkdir(p, 0700), 0);
        snprintf(p, sizeof(p), "%s/%d/ns", root, pid);
        assert_int_equal(mkdir(p, 0700), 0);
        snprintf(p, sizeof(p), "%s/%d/fd", root, pid);
        assert_int_equal(mkdir(p, 0700), 0);
        snprintf(p, sizeof(p), "%s/%d/ns/net", root, pid);
        assert_int_equal(symlink(pid == 10 ? "net:[4026532001]" : "net:[4026532002]", p), 0);
    }
    snprintf(p, sizeof(p), "%s/10/fd/0", root);
    assert_int_equal(symlink("/dev/null", p), 0);
    snprintf(p, sizeof(p), "%s/10/fd/3", root);
    assert_int_equal(symlink("socket:[777]", p), 0);
    snprintf(p, sizeof(p), "%s/10/fd/4", root);
    assert_int_equal(symlink("pipe:[778]", p), 0);
    snprintf(p, sizeof(p), "%s/10/fd/5", root);
    assert_int_equal(symlink("socket:[779]", p), 0);
    snprintf(p, sizeof(p), "%s/10/comm", root);
    put(p, "curl\n");
    snprintf(p, sizeof(p), "%s/10/cgroup", root);
    put(p, "12:cpu:/elsewhere\n1:name=systemd:/v1path\n0::/kubepods/pod1/" ID64 "\n");

    memset(&s, 0, sizeof(s));
    assert_int_equal(proc_each_netns(root, on_pid, &s), 0);
    assert_int_equal(s.n, 2);
    for (size_t i = 0; i < s.n; i++)
        assert_true(s.inos[i] == (s.pids[i] == 10 ? 4026532001u : 4026532002u));

    memset(&s, 0, sizeof(s));
    assert_int_equal(proc_each_socket(root, 10, on_sock, &s), 0);
    assert_int_equal(s.n, 2);
    assert_true(s.inos[0] + s.inos[1] == 777 + 779);
    assert_true(proc_each_socket(root, 12, on_sock, &s) < 0); /* gone */

    assert_int_equal(proc_read_info(root, 10, &info), 0);
    assert_string_equal(info.comm, "curl");
    assert_string_equal(info.cgroup, "/kubepods/pod1/" ID64); /* v2 first */
    assert_string_equal(info.container, ID64);
    assert_true(proc_read_info(root, 11, &info) < 0); /* no comm */

    snprintf(p, sizeof(p), "rm -rf '%s'", root);
    assert_int_equal(system(p), 0);
}

/* A reply of an AF_INET6 socket holding IPv4-mapped addresses (a dual-
 * stack socket talking IPv4): given as IPv4; a short reply is refused. */
static void test_parse_diag(void **state)
{
    struct inet_diag_msg m;
    struct sd_sock s;
    uint8_t src[16] = {0}, dst[16] = {0};

    (void)state;
    memset(&m, 0, sizeof(m));
    m.idiag_family = 10; /* AF_INET6 */
    m.idiag_state = 1;
    m.id.idiag_sport = htons(8080);
    m.id.idiag_dport = htons(40123);
    src[10] = src[11] = 0xff;
    src[12] = 198, src[13] = 18, src[14] = 7, src[15] = 22;
    dst[10] = dst[11] = 0xff;
    dst[12] = 198, dst[13] = 18, dst[14] = 7, dst[15] = 21;
    memcpy(m.id.idiag_src, src, 16);
    memcpy(m.id.idiag_dst, dst, 16);
    m.idiag_inode = 4242;
    assert_int_equal(sd_parse_diag((const uint8_t *)&m, sizeof(m), 6, &s), 0);
    assert_int_equal(s.local.family, 4);
    assert_memory_equal(s.local.a, src + 12, 4);
    assert_memory_equal(s.remote.a, dst + 12, 4);
    assert_int_equal(s.lport, 8080);
    assert_int_equal(s.rport, 40123);
    assert_true(s.inode == 4242);
    assert_int_equal(s.proto, 6);
    assert_int_equal(sd_is_listener(&s), 0);
    assert_int_equal(sd_parse_diag((const uint8_t *)&m, sizeof(m) - 1, 6, &s), -1);
    m.idiag_family = 1; /* AF_UNIX: not ours */
    assert_int_equal(sd_parse_diag((const uint8_t *)&m, sizeof(m), 6, &s), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_inode),
        cmocka_unit_test(test_container_id),
        cmocka_unit_test(test_fake_proc),
        cmocka_unit_test(test_parse_diag),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
