/*
 * test_priv.c: -Z (capture/priv.c).  Each drop runs in a child process,
 * which reports back through its exit status, so the test runner keeps
 * its own privileges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/priv.h"
#include "common/err.h"
#include "common/compat.h"

/* The line "key:\t<value>" of /proc/self/status, value copied to out. */
static int status_field(const char *key, char *out, size_t size)
{
    char line[256];
    size_t klen = strlen(key);
    FILE *f = fopen("/proc/self/status", "r");
    int found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            snprintf(out, size, "%s", line + klen + 1 + strspn(line + klen + 1, " \t"));
            out[strcspn(out, "\n")] = '\0';
            found = 1;
        }
    }
    fclose(f);
    return found;
}

/* Run fn in a child; its exit status. */
static int in_child(int (*fn)(void))
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn());
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Child: drop to nobody and check every promise.  0: all kept. */
static int drop_nobody(void)
{
    struct passwd *pw = getpwnam("nobody");
    char want[64], v[128];
    struct diag d;

    diag_init(&d, NULL, "test");
    if (!pw || priv_drop("nobody", &d) != 0)
        return 1;
    snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)pw->pw_uid, (unsigned)pw->pw_uid,
             (unsigned)pw->pw_uid, (unsigned)pw->pw_uid);
    if (!status_field("Uid", v, sizeof(v)) || strcmp(v, want) != 0)
        return 2;
    snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)pw->pw_gid, (unsigned)pw->pw_gid,
             (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
    if (!status_field("Gid", v, sizeof(v)) || strcmp(v, want) != 0)
        return 3;
    if (!status_field("CapEff", v, sizeof(v)) || strcmp(v, "0000000000000000") != 0)
        return 4;
    if (!status_field("CapPrm", v, sizeof(v)) || strcmp(v, "0000000000000000") != 0)
        return 5;
    if (!status_field("CapBnd", v, sizeof(v)) || strcmp(v, "0000000000000000") != 0)
        return 6;
    if (!status_field("NoNewPrivs", v, sizeof(v)) || strcmp(v, "1") != 0)
        return 7;
    if (setuid(0) == 0 || seteuid(0) == 0)
        return 8; /* no way back */
    return 0;
}

static void test_drop(void **state)
{
    (void)state;
    if (geteuid() != 0 || !getpwnam("nobody"))
        skip();
    assert_int_equal(in_child(drop_nobody), 0);
}

/* Child: as nobody already, -Z fails with a message (needs root). */
static int drop_unprivileged(void)
{
    struct passwd *pw = getpwnam("nobody");
    struct diag d;
    char msg[256];
    FILE *err = fmemopen(msg, sizeof(msg), "w");
    int rc;

    memset(msg, 0, sizeof(msg));
    if (!pw || !err || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
        return 10;
    setvbuf(err, NULL, _IONBF, 0);
    diag_init(&d, err, "test");
    rc = priv_drop("root", &d);
    return rc == ERR_PERM && strstr(msg, "cannot drop privileges to 'root'") &&
                   strstr(msg, "(-Z needs root)")
               ? 0
               : 11;
}

static void test_drop_unprivileged(void **state)
{
    (void)state;
    if (geteuid() != 0 || !getpwnam("nobody"))
        skip();
    assert_int_equal(in_child(drop_unprivileged), 0);
}

static void test_unknown_user(void **state)
{
    struct diag d;
    char msg[256];
    FILE *err = fmemopen(msg, sizeof(msg), "w");

    (void)state;
    memset(msg, 0, sizeof(msg));
    setvbuf(err, NULL, _IONBF, 0);
    diag_init(&d, err, "test");
    /* fails before anything changes, so it can run in this process */
    assert_int_equal(priv_drop("no-such-user-podflow", &d), ERR_NOTFOUND);
    assert_string_equal(msg, "test: unknown user 'no-such-user-podflow'\n");
    fclose(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_drop_unprivileged),
        cmocka_unit_test(test_unknown_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
