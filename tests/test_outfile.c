/*
 * test_outfile.c: the output rule (common/outfile.c): what each kind of
 * path is written as, what is refused and left untouched, temporary files
 * removed on abort, on signals and by the sweep after a kill -9, and the
 * rule for cases a writer adds to.
 *
 * Files live in a fresh directory under $TMPDIR (or /tmp), removed at the
 * end.  Cases needing a file of another user run only as root (they chown
 * to uid 65534) and are skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/outfile.h"
#include "common/compat.h"

static char tmpdir[256];

static struct diag quiet;

static const char *tpath(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
    return buf;
}

static void put(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

/* The file's content (static buffer), "" when absent. */
static const char *slurp(const char *path)
{
    static char buf[256];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;

    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* Entries of tmpdir whose name contains s. */
static int count_names(const char *s)
{
    char cmd[512];
    FILE *p;
    int n = 0;
    char line[512];

    snprintf(cmd, sizeof(cmd), "ls -a '%s'", tmpdir);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof(line), p))
        n += strstr(line, s) != NULL;
    pclose(p);
    return n;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    const char *base = getenv("TMPDIR");

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/podflow-test-outfile.XXXXXX",
             base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(tmpdir));
    diag_init(&quiet, fopen("/dev/null", "w"), "test");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    fclose(quiet.out);
    return 0;
}

/* Write text to path by the rule; the status of open, or of commit. */
static int write_out(const char *path, const char *text, unsigned flags)
{
    struct outfile o;
    int rc = outfile_open(&o, path, 0644, flags, &quiet);

    if (rc)
        return rc;
    rc = outfile_write(&o, text, strlen(text), &quiet);
    if (rc) {
        outfile_abort(&o);
        return rc;
    }
    return outfile_commit(&o, &quiet);
}

/* A new file: created whole, mode 0644 less the umask, no temp left. */
static void test_new_file(void **state)
{
    char p[512];
    struct stat st;
    mode_t mask = umask(022);

    (void)state;
    tpath(p, sizeof(p), "new.html");
    assert_int_equal(write_out(p, "hello", 0), 0);
    assert_string_equal(slurp(p), "hello");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(count_names(".podflow-tmp-"), 0);
    umask(mask);
}

/* A file of ours is replaced by rename (a new inode); a symlink to one
 * keeps the link and replaces its target. */
static void test_replace_own(void **state)
{
    char p[512], l[512];
    struct stat before, after, lst;

    (void)state;
    tpath(p, sizeof(p), "own.html");
    put(p, "old", 0600);
    assert_int_equal(stat(p, &before), 0);
    assert_int_equal(write_out(p, "new", 0), 0);
    assert_int_equal(stat(p, &after), 0);
    assert_string_equal(slurp(p), "new");
    assert_true(before.st_ino != after.st_ino);

    tpath(l, sizeof(l), "own-link.html");
    assert_int_equal(symlink(p, l), 0);
    assert_int_equal(write_out(l, "via link", 0), 0);
    assert_int_equal(lstat(l, &lst), 0);
    assert_true(S_ISLNK(lst.st_mode));
    assert_string_equal(slurp(p), "via link");
}

/* A FIFO and a character device are written directly and stay what they
 * are. */
static void test_streams(void **state)
{
    char p[512], buf[32];
    struct stat st;
    int rfd;
    ssize_t n;

    (void)state;
    tpath(p, sizeof(p), "fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    rfd = open(p, O_RDONLY | O_NONBLOCK);
    assert_true(rfd >= 0);
    assert_int_equal(write_out(p, "through", 0), 0);
    n = read(rfd, buf, sizeof(buf));
    assert_int_equal(n, 7);
    assert_memory_equal(buf, "through", 7);
    close(rfd);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));

    assert_int_equal(write_out("/dev/null", "gone", 0), 0);
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    /* A device that fails the write: an error, and the device stays. */
    if (stat("/dev/full", &st) == 0) {
        assert_int_equal(write_out("/dev/full", "x", 0), -ENOSPC);
        assert_int_equal(stat("/dev/full", &st), 0);
        assert_true(S_ISCHR(st.st_mode));
    }
}

/* What is refused, and stays as it was. */
static void test_refused(void **state)
{
    char dir[512], dangling[512], none[512], noclob[512];
    struct stat st;

    (void)state;
    tpath(dir, sizeof(dir), "adir");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(write_out(dir, "x", 0), ERR_INVALID);
    assert_int_equal(lstat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));

    tpath(dangling, sizeof(dangling), "dangling");
    tpath(none, sizeof(none), "nothing-here");
    assert_int_equal(symlink(none, dangling), 0);
    assert_int_equal(write_out(dangling, "x", 0), ERR_INVALID);
    assert_int_equal(lstat(none, &st), -1);

    /* --force not given: an existing file is kept. */
    tpath(noclob, sizeof(noclob), "kept");
    put(noclob, "keep me", 0600);
    assert_int_equal(write_out(noclob, "x", OUTFILE_NO_CLOBBER), ERR_EXISTS);
    assert_string_equal(slurp(noclob), "keep me");
    /* An in-place rewrite needs a file. */
    assert_int_equal(write_out(none, "x", OUTFILE_EXISTING), -ENOENT);
    assert_int_equal(write_out("-", "x", OUTFILE_EXISTING), ERR_INVALID);
    assert_int_equal(write_out("", "x", 0), ERR_INVALID);
    assert_int_equal(count_names(".podflow-tmp-"), 0);
}

/* Another user's file, and a symlink to one, are refused (root only). */
static void test_other_user(void **state)
{
    char p[512], l[512];

    (void)state;
    if (geteuid() != 0)
        skip();
    tpath(p, sizeof(p), "theirs.html");
    put(p, "theirs", 0666);
    assert_int_equal(chown(p, 65534, 65534), 0);
    assert_int_equal(write_out(p, "x", 0), ERR_PERM);
    assert_string_equal(slurp(p), "theirs");
    tpath(l, sizeof(l), "to-theirs.html");
    assert_int_equal(symlink(p, l), 0);
    assert_int_equal(write_out(l, "x", 0), ERR_PERM);
    assert_string_equal(slurp(p), "theirs");
}

/* abort: the target is as it was, the temporary file gone. */
static void test_abort(void **state)
{
    char p[512];
    struct outfile o;

    (void)state;
    tpath(p, sizeof(p), "aborted");
    put(p, "before", 0600);
    assert_int_equal(outfile_open(&o, p, 0600, 0, &quiet), 0);
    assert_int_equal(count_names("aborted.podflow-tmp-"), 1);
    assert_int_equal(outfile_write(&o, "half", 4, &quiet), 0);
    outfile_abort(&o);
    outfile_abort(&o); /* twice is harmless */
    assert_string_equal(slurp(p), "before");
    assert_int_equal(count_names("aborted.podflow-tmp-"), 0);
}

/* OUTFILE_NEED_PATH on a stream: built in a scratch file, copied. */
static void test_need_path_stream(void **state)
{
    char p[512], buf[32];
    struct outfile o;
    int rfd, fd;
    const char *base = getenv("TMPDIR");

    (void)state;
    setenv("TMPDIR", tmpdir, 1);
    tpath(p, sizeof(p), "fifo2");
    assert_int_equal(mkfifo(p, 0600), 0);
    rfd = open(p, O_RDONLY | O_NONBLOCK);
    assert_true(rfd >= 0);
    assert_int_equal(outfile_open(&o, p, 0600, OUTFILE_NEED_PATH, &quiet), 0);
    assert_non_null(o.tmp);
    assert_int_equal(count_names("podflow-out-"), 1);
    fd = open(o.tmp, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "by name", 7), 7);
    close(fd);
    assert_int_equal(outfile_commit(&o, &quiet), 0);
    assert_int_equal(read(rfd, buf, sizeof(buf)), 7);
    assert_memory_equal(buf, "by name", 7);
    close(rfd);
    assert_int_equal(count_names("podflow-out-"), 0);
    if (base)
        setenv("TMPDIR", base, 1);
    else
        unsetenv("TMPDIR");
}

/* The sweep removes what a dead process left (unlocked and old), never a
 * locked, young or other-named file. */
static void test_sweep(void **state)
{
    static const struct {
        const char *name;
        int old, locked, removed;
    } rows[] = {
        {"pfx-aB3dE9", 1, 0, 1},         /* left by a kill -9 */
        {"pfx-aB3dE9-journal", 1, 0, 1}, /* its journal, removed with it */
        {"pfx-Q1w2E3-wal", 1, 0, 1},     /* a WAL whose database is gone */
        {"pfx-Zz0000", 1, 1, 0},         /* its creator is alive */
        {"pfx-Yy1111", 0, 0, 0},         /* just made: maybe not locked yet */
        {"pfx-notes.txt", 1, 0, 0},      /* not a name we make */
        {"pfx-abc", 1, 0, 0},            /* too short */
        {"other-aB3dE9", 1, 0, 0},       /* another prefix */
    };
    int fds[ARRAY_SIZE(rows)];
    char p[512];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct timespec ts[2] = {{.tv_sec = time(NULL) - 3600}, {.tv_sec = time(NULL) - 3600}};

        tpath(p, sizeof(p), rows[i].name);
        put(p, "x", 0600);
        fds[i] = -1;
        if (rows[i].locked) {
            fds[i] = open(p, O_RDONLY);
            assert_int_equal(flock(fds[i], LOCK_EX), 0);
        }
        if (rows[i].old)
            assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    }
    assert_int_equal(outfile_sweep(tmpdir, "pfx-"), 2);
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct stat st;

        tpath(p, sizeof(p), rows[i].name);
        if ((lstat(p, &st) != 0) != rows[i].removed)
            fail_msg("%s: removed %d, want %d", rows[i].name, lstat(p, &st) != 0, rows[i].removed);
        if (fds[i] >= 0)
            close(fds[i]);
        unlink(p);
    }
}

/* SIGTERM removes the registered scratch file (and its journal), and the
 * process still dies of SIGTERM. */
static void test_signal_removes(void **state)
{
    int pfd[2], status;
    char path[512] = "";
    pid_t pid;
    ssize_t n;
    struct stat st;

    (void)state;
    assert_int_equal(pipe(pfd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *tmp;
        int lockfd;

        close(pfd[0]);
        outfile_signals();
        if (outfile_tmp_create(tmpdir, "sig-", &tmp, &lockfd, &quiet))
            _exit(3);
        {
            size_t len = strlen(tmp) + sizeof("-journal");
            char *j = malloc(len);

            snprintf(j, len, "%s-journal", tmp);
            put(j, "j", 0600);
            free(j);
        }
        if (write(pfd[1], tmp, strlen(tmp) + 1) < 0)
            _exit(4);
        for (;;)
            pause();
    }
    close(pfd[1]);
    n = read(pfd[0], path, sizeof(path) - 1);
    close(pfd[0]);
    assert_true(n > 0);
    assert_int_equal(stat(path, &st), 0);
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(count_names("sig-"), 0);
}

/* A directory of outputs. */
static void test_dir(void **state)
{
    char p[512], f[512];

    (void)state;
    tpath(p, sizeof(p), "outdir");
    assert_int_equal(outfile_dir(p, 0755, &quiet), 0); /* made */
    assert_int_equal(outfile_dir(p, 0755, &quiet), 0); /* there */
    assert_int_equal(chmod(p, 0777), 0);
    assert_int_equal(outfile_dir(p, 0755, &quiet), ERR_PERM); /* others may write */
    assert_int_equal(chmod(p, 01777), 0);
    assert_int_equal(outfile_dir(p, 0755, &quiet), 0); /* sticky, as /tmp */
    tpath(f, sizeof(f), "afile");
    put(f, "x", 0600);
    assert_int_equal(outfile_dir(f, 0755, &quiet), ERR_INVALID);
    if (geteuid() == 0) {
        assert_int_equal(chmod(p, 0755), 0);
        assert_int_equal(chown(p, 65534, 65534), 0);
        assert_int_equal(outfile_dir(p, 0755, &quiet), ERR_PERM);
    }
}

/* A case a writer adds to. */
static void test_case_ok(void **state)
{
    static const struct {
        const char *name;
        mode_t mode;
        int link, other, rc;
    } rows[] = {
        {"mine.db", 0600, 0, 0, 0},               /* the user's own */
        {"shared-read.db", 0644, 0, 0, 0},        /* others may read it */
        {"group-write.db", 0660, 0, 0, ERR_PERM}, /* a group member could write it */
        {"world-write.db", 0666, 0, 0, ERR_PERM}, /* anyone could */
        {"link.db", 0600, 1, 0, ERR_INVALID},     /* a symlink, not the file */
        {"nobody.db", 0600, 0, 1, ERR_PERM},      /* another user's (root only) */
    };
    char p[512], t[512];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct stat st;

        if (rows[i].other && geteuid() != 0)
            continue;
        tpath(p, sizeof(p), rows[i].name);
        if (rows[i].link) {
            tpath(t, sizeof(t), "link-target.db");
            put(t, "", rows[i].mode);
            assert_int_equal(symlink(t, p), 0);
        } else {
            put(p, "", rows[i].mode);
        }
        if (rows[i].other)
            assert_int_equal(chown(p, 65534, 65534), 0);
        assert_int_equal(lstat(p, &st), 0);
        if (outfile_case_ok(p, &st, &quiet) != rows[i].rc)
            fail_msg("%s: got %d, want %d", rows[i].name, outfile_case_ok(p, &st, &quiet),
                     rows[i].rc);
    }
    /* A side file of another writer. */
    tpath(p, sizeof(p), "mine.db-wal");
    put(p, "", 0666);
    tpath(p, sizeof(p), "mine.db");
    {
        struct stat st;

        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(outfile_case_ok(p, &st, &quiet), ERR_PERM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_file),
        cmocka_unit_test(test_replace_own),
        cmocka_unit_test(test_streams),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_other_user),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_need_path_stream),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_signal_removes),
        cmocka_unit_test(test_case_ok),
        cmocka_unit_test(test_dir),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
