/*
 * test_cap_opts.c: podflow-capture's command line (capture/cap_opts.c):
 * every option, every usage error as one line, and the command line as
 * recorded in captures.command.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "capture/cap_opts.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/compat.h"

#define MAXARGS 40

/* Split s at spaces into argv (no quoting needed by the cases). */
static int split(char *s, char **argv)
{
    int argc = 0;
    char *save = NULL, *tok;

    for (tok = strtok_r(s, " ", &save); tok && argc < MAXARGS - 1; tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    argv[argc] = NULL;
    return argc;
}

/* Parse line; the diagnostic (if any) goes to msg. */
static int parse(const char *line, struct cap_opts *o, char *msg, size_t msgsize, char *out,
                 size_t outsize)
{
    /* static: the parsed options point into argv, used after we return */
    static char buf[512];
    static char *argv[MAXARGS];
    struct diag d;
    FILE *err = fmemopen(msg, msgsize, "w");
    FILE *fo = fmemopen(out, outsize, "w");
    int argc, rc;

    assert_non_null(err);
    assert_non_null(fo);
    memset(msg, 0, msgsize);
    memset(out, 0, outsize);
    snprintf(buf, sizeof(buf), "%s", line);
    argc = split(buf, argv);
    diag_init(&d, err, "podflow-capture");
    rc = cap_opts_parse(o, &d, argc, argv, fo);
    fclose(err);
    fclose(fo);
    return rc;
}

static void test_valid(void **state)
{
    struct cap_opts o;
    char msg[256], out[4096];

    (void)state;
    /* every option at once */
    assert_int_equal(parse("pc -w c.db -i cali* -i eth0 -f tcp -s 1500 -B 64 -G 30 "
                           "--idle-timeout 10 --active-timeout 60 --commit-interval 2 "
                           "--max-flows 5000 --node n1 -Z nobody -q",
                           &o, msg, sizeof(msg), out, sizeof(out)),
                     0);
    assert_string_equal(o.db_path, "c.db");
    assert_int_equal(o.n_ifaces, 2);
    assert_string_equal(o.ifaces[0], "cali*");
    assert_string_equal(o.ifaces[1], "eth0");
    assert_int_equal(o.n_files, 0);
    assert_string_equal(o.filter, "tcp");
    assert_int_equal(o.snaplen, 1500);
    assert_int_equal(o.buffer_mib, 64);
    assert_true(o.duration_s == 30 && o.idle_s == 10 && o.active_s == 60);
    assert_true(o.commit_s == 2 && o.max_flows == 5000);
    assert_string_equal(o.node, "n1");
    assert_string_equal(o.user, "nobody");
    assert_int_equal(o.quiet, 1);
    assert_string_equal(msg, "");
    cap_opts_release(&o);

    /* defaults; -r repeatable, in order */
    assert_int_equal(
        parse("pc -r a.pcap -w c.db -r b.pcap", &o, msg, sizeof(msg), out, sizeof(out)), 0);
    assert_int_equal(o.n_files, 2);
    assert_string_equal(o.files[0], "a.pcap");
    assert_string_equal(o.files[1], "b.pcap");
    assert_int_equal(o.snaplen, LIM_SNAPLEN_DEFAULT);
    assert_true(o.commit_s == 5 && o.max_flows == 0 && o.duration_s == 0);
    assert_null(o.filter);
    assert_null(o.user);
    assert_int_equal(o.process, -1); /* process attribution: on for -i, off for -r */
    cap_opts_release(&o);

    /* --process and --no-process: the last one given wins */
    assert_int_equal(
        parse("pc -r a.pcap -w c.db --process", &o, msg, sizeof(msg), out, sizeof(out)), 0);
    assert_int_equal(o.process, 1);
    cap_opts_release(&o);
    assert_int_equal(
        parse("pc -i lo -w c.db --process --no-process", &o, msg, sizeof(msg), out, sizeof(out)),
        0);
    assert_int_equal(o.process, 0);
    cap_opts_release(&o);

    /* --help and --version print to out and return 1 */
    assert_int_equal(parse("pc --help", &o, msg, sizeof(msg), out, sizeof(out)), 1);
    assert_non_null(strstr(out, "usage: podflow-capture -w CASE.db"));
    cap_opts_release(&o);
    assert_int_equal(parse("pc --version", &o, msg, sizeof(msg), out, sizeof(out)), 1);
    assert_string_equal(out, "podflow-capture " PODFLOW_VERSION "\n");
    cap_opts_release(&o);
}

static void test_usage_errors(void **state)
{
    static const struct {
        const char *line;
        const char *msg; /* the whole diagnostic */
    } cases[] = {
        /* no -w */
        {"pc -r a.pcap", "podflow-capture: no case file: -w CASE.db is required (see --help)\n"},
        /* neither -i nor -r */
        {"pc -w c.db", "podflow-capture: nothing to capture: give -i or -r (see --help)\n"},
        /* both */
        {"pc -w c.db -i lo -r a.pcap", "podflow-capture: -i and -r cannot be mixed (see --help)\n"},
        /* snap length below the headers we need */
        {"pc -w c.db -i lo -s 63",
         "podflow-capture: invalid snap length '63': expected a whole number from 64 to 262144\n"},
        /* not a number */
        {"pc -w c.db -i lo -G 1s", "podflow-capture: invalid duration (-G) '1s': expected a whole "
                                   "number from 1 to 31622400\n"},
        /* zero where at least 1 is needed */
        {"pc -w c.db -i lo --commit-interval 0", "podflow-capture: invalid --commit-interval '0': "
                                                 "expected a whole number from 1 to 31622400\n"},
        /* past libpcap's int of bytes */
        {"pc -w c.db -i lo -B 2048", "podflow-capture: invalid buffer size (-B) '2048': expected a "
                                     "whole number from 1 to 2047\n"},
        /* past the flow cap limit */
        {"pc -w c.db -i lo --max-flows 100000001",
         "podflow-capture: invalid --max-flows '100000001': expected a whole number from 1 to "
         "100000000\n"},
        /* negative */
        {"pc -w c.db -i lo --idle-timeout -1", "podflow-capture: invalid --idle-timeout '-1': "
                                               "expected a whole number from 1 to 31622400\n"},
        /* unknown short and long options */
        {"pc -w c.db -i lo -x", "podflow-capture: unknown option -x (see --help)\n"},
        {"pc -w c.db -i lo --frob", "podflow-capture: unknown option '--frob' (see --help)\n"},
        /* missing values */
        {"pc -w c.db -i", "podflow-capture: option -i needs a value (see --help)\n"},
        {"pc -w c.db -i lo --node",
         "podflow-capture: option '--node' needs a value (see --help)\n"},
        /* stray operand */
        {"pc -w c.db -i lo eth0", "podflow-capture: unexpected argument 'eth0' (see --help)\n"},
    };
    struct cap_opts o;
    char msg[256], out[256];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int rc = parse(cases[i].line, &o, msg, sizeof(msg), out, sizeof(out));

        cap_opts_release(&o);
        if (rc != ERR_USAGE || strcmp(msg, cases[i].msg) != 0)
            fail_msg("'%s': rc %d, message '%s'", cases[i].line, rc, msg);
    }
}

static void test_command_line(void **state)
{
    static const struct {
        int argc;
        const char *argv[4];
        const char *want;
    } cases[] = {
        {3, {"pc", "-w", "c.db"}, "pc -w c.db"},                 /* plain words as they are */
        {3, {"pc", "-i", "cali*"}, "pc -i 'cali*'"},             /* a glob is quoted */
        {3, {"pc", "-f", "tcp port 80"}, "pc -f 'tcp port 80'"}, /* spaces */
        {3, {"pc", "--node", "it's"}, "pc --node 'it'\\''s'"},   /* a quote inside */
        {2, {"pc", ""}, "pc ''"},                                /* empty argument */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *s = cap_opts_command_line(cases[i].argc, (char **)cases[i].argv);

        assert_string_equal(s, cases[i].want);
        free(s);
    }
}

/* --redact-external: the filter is parsed as given, and the recorded
 * command line hides it, whether "-f X" or "-fX". */
static void test_command_line_redacted(void **state)
{
    static const struct {
        const char *line;
        const char *want;
    } cases[] = {
        /* separate value */
        {"pc -w c.db -r x.pcap --redact-external -f host 203.0.113.9",
         "pc -w c.db -r x.pcap --redact-external -f '[redacted]'"},
        /* attached value: the option letter stays */
        {"pc --redact-external -w c.db -r x.pcap -fhost",
         "pc --redact-external -w c.db -r x.pcap '-f[redacted]'"},
        /* no filter: nothing hidden */
        {"pc --redact-external -w c.db -r x.pcap", "pc --redact-external -w c.db -r x.pcap"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        static char buf[512];
        char *argv[MAXARGS], *got;
        struct cap_opts o;
        struct diag d;
        int argc, rc;

        snprintf(buf, sizeof(buf), "%s", cases[i].line);
        /* "host 203.0.113.9" is one argument: split, then glue the last two */
        argc = split(buf, argv);
        if (strcmp(argv[argc - 1], "203.0.113.9") == 0) {
            argv[argc - 2][strlen(argv[argc - 2])] = ' ';
            argv[--argc] = NULL;
        }
        diag_init(&d, stderr, "podflow-capture");
        rc = cap_opts_parse(&o, &d, argc, argv, stdout);
        assert_int_equal(rc, 0);
        assert_true(o.redact_external);
        got = cap_opts_command_line_hiding(argc, argv, o.filter);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("'%s': got '%s'", cases[i].line, got);
        if (o.filter && strstr(got, "host"))
            fail_msg("'%s': the filter shows in '%s'", cases[i].line, got);
        free(got);
        cap_opts_release(&o);
    }
}

static void test_join(void **state)
{
    char a[] = "cali*", b[] = "eth0", c[] = "cni0";
    char *v[] = {a, b, c};
    char *s;

    (void)state;
    s = cap_opts_join(v, 3);
    assert_string_equal(s, "cali* eth0 cni0");
    free(s);
    s = cap_opts_join(v, 0);
    assert_string_equal(s, "");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_command_line), cmocka_unit_test(test_command_line_redacted),
        cmocka_unit_test(test_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
