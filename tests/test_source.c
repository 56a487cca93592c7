/*
 * test_source.c: pcap sources (capture/source.c): files with their
 * nanosecond times, a filter, a FIFO read as it comes with the wait
 * function called while it is silent, refused link types and filters; live handles
 * as root (lo), a missing interface, and the message without CAP_NET_RAW
 * (in a child that dropped to nobody).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/source.h"
#include "common/err.h"
#include "tests/helpers/pcapw.h"
#include "common/compat.h"

struct fixture {
    char dir[64];
    char path[96];
    char msg[512];
    FILE *err;
    struct diag d;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/test_source.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/x.pcap", f->dir);
    f->err = fmemopen(f->msg, sizeof(f->msg), "w");
    setvbuf(f->err, NULL, _IONBF, 0);
    diag_init(&f->d, f->err, "test");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    fclose(f->err);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Three TCP frames one millisecond and one nanosecond apart. */
static void write_pcap(const char *path, int linktype)
{
    struct pcapw_file *pf = pcapw_open(path, linktype, 256);
    struct pcapw_pkt p;

    for (int i = 0; i < 3; i++) {
        pcapw_tcp_frame(&p, "198.18.0.1", 40000, "198.18.0.2", 80, PCAPW_SYN, 1, 0);
        pcapw_write_pkt(pf, INT64_C(1700000000000000001) + i * INT64_C(1000001), &p);
    }
    pcapw_close(&pf);
}

static void test_file(void **state)
{
    struct fixture *f = *state;
    struct pcap_pkthdr *h;
    const u_char *data;
    struct src s;
    int n = 0;

    write_pcap(f->path, PCAPW_DLT_EN10MB);
    assert_int_equal(src_open_file(&s, f->path, NULL, &f->d), 0);
    assert_int_equal(s.kind, SRC_FILE);
    assert_int_equal(s.dlt, 1);
    assert_int_equal(s.fd, -1);
    assert_int_equal(s.ts_nano, 1);
    assert_string_equal(s.name, f->path);
    while (pcap_next_ex(s.pcap, &h, &data) == 1) {
        /* nanoseconds survive: tv_usec holds them */
        assert_true(h->ts.tv_sec == 1700000000);
        assert_int_equal(h->ts.tv_usec, 1 + n * 1000001);
        n++;
    }
    assert_int_equal(n, 3);
    src_close(&s);
    src_close(&s); /* twice is harmless */
    assert_null(s.pcap);

    /* a filter that matches nothing in the file */
    assert_int_equal(src_open_file(&s, f->path, "udp", &f->d), 0);
    assert_int_equal(pcap_next_ex(s.pcap, &h, &data), PCAP_ERROR_BREAK);
    src_close(&s);
    assert_string_equal(f->msg, "");
}

/* A src_wait_fn: count the calls; ask to stop at the stop_at-th. */
struct waits {
    int calls, stop_at;
};

static int count_wait(void *ctx, int64_t now_ns)
{
    struct waits *w = ctx;

    (void)now_ns;
    return ++w->calls == w->stop_at;
}

/* A child writing data[0..split) to the FIFO, then after pause_ms the rest
 * (then holding the FIFO open hold_ms more). */
static pid_t feed_fifo(const char *fifo, const char *data, size_t len, size_t split, long pause_ms,
                       long hold_ms)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(fifo, O_WRONLY);
        struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
        struct timespec hold = {hold_ms / 1000, (hold_ms % 1000) * 1000000L};

        if (fd < 0 || write(fd, data, split) != (ssize_t)split)
            _exit(1);
        nanosleep(&ts, NULL);
        if (write(fd, data + split, len - split) != (ssize_t)(len - split))
            _exit(1);
        nanosleep(&hold, NULL);
        _exit(0);
    }
    return pid;
}

/* A FIFO: read as it comes (a record split across two writes 300 ms
 * apart), the wait function called on time while the FIFO is silent, and
 * its 1 ending the file at once while the writer holds it open. */
static void test_file_pipe(void **state)
{
    struct fixture *f = *state;
    struct pcap_pkthdr *h;
    const u_char *data;
    char fifo[128], buf[4096];
    struct waits w = {0, 0};
    struct src s;
    size_t len;
    FILE *fp;
    pid_t pid;
    int n = 0, st;

    write_pcap(f->path, PCAPW_DLT_EN10MB);
    fp = fopen(f->path, "rb");
    assert_non_null(fp);
    len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);

    pid = feed_fifo(fifo, buf, len, len / 2, 300, 0);
    assert_int_equal(src_open_file(&s, fifo, NULL, &f->d), 0);
    assert_non_null(s.pipe);
    src_file_on_wait(&s, count_wait, &w, 50 * INT64_C(1000000));
    while (pcap_next_ex(s.pcap, &h, &data) == 1)
        n++;
    assert_int_equal(n, 3);
    /* 300 ms of silence at 50 ms: called about six times */
    if (w.calls < 3)
        fail_msg("wait function called %d times in 300 ms of silence", w.calls);
    src_close(&s);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* the header and the first record, then silence for 10 s: stop at the
     * third call (150 ms), as a signal would */
    w.calls = 0;
    w.stop_at = 3;
    n = 0;
    pid = feed_fifo(fifo, buf, 24 + 16 + 54, 24 + 16 + 54, 10000, 0);
    assert_int_equal(src_open_file(&s, fifo, NULL, &f->d), 0);
    src_file_on_wait(&s, count_wait, &w, 50 * INT64_C(1000000));
    while (pcap_next_ex(s.pcap, &h, &data) == 1)
        n++;
    assert_int_equal(n, 1);
    assert_int_equal(w.calls, 3);
    src_close(&s);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    unlink(fifo);

    /* a regular file has no pipe: src_file_on_wait() does nothing */
    assert_int_equal(src_open_file(&s, f->path, NULL, &f->d), 0);
    assert_null(s.pipe);
    src_file_on_wait(&s, count_wait, &w, 1);
    src_close(&s);
    assert_string_equal(f->msg, "");
}

static void test_file_refused(void **state)
{
    struct fixture *f = *state;
    struct src s;

    /* LINKTYPE_USER0: not decoded, refused with its number */
    write_pcap(f->path, 147);
    assert_int_equal(src_open_file(&s, f->path, NULL, &f->d), ERR_FORMAT);
    assert_null(s.pcap);
    assert_non_null(strstr(f->msg, "x.pcap': link type"));
    assert_non_null(strstr(f->msg, "(147) is not supported"));

    /* a filter that does not compile is a usage error */
    write_pcap(f->path, PCAPW_DLT_EN10MB);
    assert_int_equal(src_open_file(&s, f->path, "tcp port", &f->d), ERR_USAGE);
    assert_non_null(strstr(f->msg, "invalid filter 'tcp port'"));

    /* no such file: the path once, not twice */
    memset(f->msg, 0, sizeof(f->msg));
    rewind(f->err);
    assert_int_equal(src_open_file(&s, "/nonexistent/y.pcap", NULL, &f->d), -ENOENT);
    assert_string_equal(f->msg,
                        "test: cannot read '/nonexistent/y.pcap': No such file or directory\n");
}

static void test_live(void **state)
{
    struct fixture *f = *state;
    struct src_live_opts o = {256, 1 << 20, 100, "tcp"};
    struct src s;

    if (geteuid() != 0)
        skip();
    assert_int_equal(src_open_live(&s, "lo", 1, &o, &f->d), 0);
    assert_int_equal(s.kind, SRC_LIVE);
    assert_int_equal(s.ifindex, 1);
    assert_true(s.fd >= 0);
    assert_int_equal(s.dlt, 1); /* lo is Ethernet to libpcap */
    src_update_stats(&s);
    assert_true(s.drops == 0);
    src_close(&s);

    assert_int_equal(src_open_live(&s, "nosuch0", 99, &o, &f->d), ERR_NOTFOUND);
    assert_non_null(strstr(f->msg, "cannot capture on 'nosuch0': no such interface"));
}

/* Without CAP_NET_RAW the message says so. */
static void test_live_unprivileged(void **state)
{
    struct fixture *f = *state;
    struct passwd *pw = getpwnam("nobody");
    int status;
    pid_t pid;

    if (geteuid() != 0 || !pw)
        skip();
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct src_live_opts o = {256, 0, 100, NULL};
        struct src s;
        int rc;

        if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
            _exit(3);
        rc = src_open_live(&s, "lo", 1, &o, &f->d);
        _exit(rc == ERR_PERM && strstr(f->msg, "permission denied (capturing needs root or "
                                               "CAP_NET_RAW)")
                  ? 0
                  : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* src_ts_ns(): the packet timestamp conversion every file and live packet
 * goes through; hostile timestamps saturate. */
static void test_ts_ns(void **state)
{
    static const struct {
        int nano;
        int64_t sec, frac;
        int64_t want;
    } cases[] = {
        {1, 1700000000, 123456789, INT64_C(1700000000123456789)}, /* nanosecond file */
        {0, 1700000000, 123456, INT64_C(1700000000123456000)},    /* microsecond file */
        {0, 1, 999999, INT64_C(1999999000)},                      /* largest valid fraction */
        {0, 1, 4294967295, INT64_C(1999999999)},         /* pcap fraction field past a second */
        {1, 1, 4294967295, INT64_C(1999999999)},         /* same, nanosecond file */
        {1, INT64_MAX, 0, INT64_C(9223372035000000000)}, /* pcapng seconds past 2262 saturate
                                                            (fuzz regress pcap/ub-ts-overflow-1) */
        {1, INT64_C(9223372036), 854775807,
         INT64_C(9223372035854775807)}, /* seconds past the end */
        {1, INT64_C(9223372035), 999999999, INT64_C(9223372035999999999)}, /* the last one kept */
        {1, -5, 7, 7}, /* negative seconds (a wrapped uint64) */
        {0, 0, -1, 0}, /* negative fraction */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct src s = {.ts_nano = cases[i].nano};
        struct pcap_pkthdr h;

        memset(&h, 0, sizeof(h));
        h.ts.tv_sec = (time_t)cases[i].sec;
        h.ts.tv_usec = (suseconds_t)cases[i].frac;
        assert_int_equal(src_ts_ns(&s, &h), cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ts_ns),
        cmocka_unit_test_setup_teardown(test_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_unprivileged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
