/*
 * test_empty_case.c: every podflow-analyze command on a case with no
 * flows, no endpoints, no captures (issue 17, item 5).  report used to
 * hand memcpy() a NULL source for zero ports (analyze/out/graph.c), which
 * UBSan stops at: make unit-san runs this file under ASan+UBSan, so a
 * command that touches NULL or reads past an empty array fails there.
 *
 * The commands run through cmd_main(), podflow-analyze's one entry, each
 * in a child process, with their standard output sent to /dev/null; each must
 * exit 0 (1 is a verdict, 2 an error: neither is right for an empty
 * case; a sanitizer's report is an exit status of its own).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze/cmd/cmd.h"
#include "common/db.h"
#include "common/err.h"
#include "common/compat.h"

static char tmpdir[256], casepath[300], policy[300];
static struct diag quiet;

static const char policy_text[] = "apiVersion: projectcalico.org/v3\n"
                                  "kind: GlobalNetworkPolicy\n"
                                  "metadata: {name: default-deny}\n"
                                  "spec:\n"
                                  "  selector: all()\n"
                                  "  types: [Ingress, Egress]\n";

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
    sqlite3 *db = NULL;
    FILE *f;

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/podflow-test-empty.XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(tmpdir));
    snprintf(casepath, sizeof(casepath), "%s/empty.db", tmpdir);
    snprintf(policy, sizeof(policy), "%s/p.yaml", tmpdir);
    diag_init(&quiet, getenv("TEST_VERBOSE") ? stderr : fopen("/dev/null", "w"), "test");
    /* A new case: the schema and nothing else. */
    assert_int_equal(db_open_writer(casepath, &quiet, &db), 0);
    db_close(&db, &quiet);
    f = fopen(policy, "w");
    assert_non_null(f);
    assert_int_equal(fputs(policy_text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    fclose(quiet.out);
    return 0;
}

/* Run podflow-analyze with the words of line (space separated; @C the
 * case, @P the policy, @T the temporary directory), stdout to /dev/null. */
static int run(const char *line)
{
    char buf[2048], *argv[32], *p, *save = NULL;
    int argc = 1, rc, status, out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
    pid_t pid;
    size_t n = 0;

    for (const char *s = line; *s && n < sizeof(buf) - 400; s++) {
        if (s[0] == '@' && (s[1] == 'C' || s[1] == 'P' || s[1] == 'T')) {
            const char *v = s[1] == 'C' ? casepath : s[1] == 'P' ? policy : tmpdir;

            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", v);
            s++;
        } else {
            buf[n++] = *s;
        }
    }
    buf[n] = '\0';
    for (p = strtok_r(buf, " ", &save); p && argc < 31; p = strtok_r(NULL, " ", &save))
        argv[argc++] = p;
    argv[0] = (char *)"podflow-analyze";
    argv[argc] = NULL;
    assert_true(out >= 0 && null >= 0);
    fflush(stdout);
    fflush(quiet.out);
    /* A child per command, as the program is one command per process
     * (a sanitizer's report ends only the child). */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(null, STDOUT_FILENO);
        rc = cmd_main(argc, argv, &quiet);
        fflush(stdout);
        fflush(quiet.out);
        _exit(rc);
    }
    close(out);
    close(null);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* A sanitizer's report ends the child with its own status. */
    if (!WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void test_every_command(void **state)
{
    static const char *const rows[] = {
        "show @C",
        "select @C all()",
        "select @C all() -o json",
        "check @C -p @P",
        "check @C -p @P -o json",
        "check @C -p @P -o csv --group tuple",
        "check @C -p @P --group workload --explain",
        "check @C -p @P -o dot",
        "check @C -p @P --strict --since 0 --until 1",
        "check @C @C -p @P", /* refused: given twice */
        "diff @C --old @P --new @P",
        "diff @C --old @P --new @P -o json --group workload",
        "report @C -p @P --out @T/r.html", /* the memcpy from NULL */
        "report @C -p @P --old @P --out @T/r2.html",
        "merge -q @T/m.db @C",
        "redact @T/m.db",
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        int rc = run(rows[i]);
        int want = strstr(rows[i], "@C @C") ? EXIT_BAD : EXIT_OK;

        if (rc != want)
            fail_msg("'%s': exit %d, want %d", rows[i], rc, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_command),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
