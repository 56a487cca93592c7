/*
 * test_deploy.c: an offline check of deploy/podflow-capture-daemonset.yaml
 * (no cluster here): the DaemonSet's structure as the API server would
 * need it (apiVersion apps/v1, a selector matching the template's labels,
 * every volume mount naming a volume), and what podflow needs of it
 * (hostNetwork, the capture's capabilities exactly NET_RAW and NET_ADMIN
 * with ALL dropped, every other container with none, the case written
 * under a hostPath mount, a time limit, the node name from the downward
 * API).  Each rule is also shown to fail on a manifest that breaks it.
 *
 * With "--args", prints the capture container's args one per line and
 * exits: tests/it/deploy_manifest.sh checks each flag against
 * `podflow-capture --help`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/ydoc.h"
#include "common/compat.h"

#define MANIFEST "deploy/podflow-capture-daemonset.yaml"

/* Count a problem (and say it, for whoever reads the test's output). */
static int problem(int *n, const char *what)
{
    fprintf(stderr, "deploy check: %s\n", what);
    (*n)++;
    return 0;
}

static const char *str(const struct ynode *n)
{
    return n && n->kind == YNODE_SCALAR ? n->u.scalar.s : NULL;
}

static int str_is(const struct ynode *n, const char *want)
{
    const char *s = str(n);

    return s && strcmp(s, want) == 0;
}

static const struct ynode *path(const struct ynode *n, const char *const *keys)
{
    for (; n && *keys; keys++)
        n = ynode_get(n, *keys);
    return n;
}
#define PATH(n, ...) path((n), (const char *const[]){__VA_ARGS__, NULL})

/* A sequence of scalars holding exactly the strings want[0..nw). */
static int seq_exactly(const struct ynode *seq, const char *const *want, size_t nw)
{
    if (!seq || seq->kind != YNODE_SEQ || seq->u.seq.n != nw)
        return 0;
    for (size_t i = 0; i < nw; i++) {
        int found = 0;

        for (size_t j = 0; j < seq->u.seq.n && !found; j++)
            found = str_is(seq->u.seq.items[j], want[i]);
        if (!found)
            return 0;
    }
    return 1;
}

/* The capture container: the one whose command runs podflow-capture. */
static int is_capture(const struct ynode *c)
{
    const struct ynode *cmd = ynode_get(c, "command");

    return cmd && cmd->kind == YNODE_SEQ && cmd->u.seq.n > 0 &&
           str_is(cmd->u.seq.items[0], "podflow-capture");
}

static void check_container(const struct ynode *c, const struct ynode *vols, int *n,
                            const struct ynode **capture)
{
    static const char *const caps[] = {"NET_RAW", "NET_ADMIN"};
    static const char *const all[] = {"ALL"};
    const struct ynode *sc = ynode_get(c, "securityContext");
    const struct ynode *add = PATH(sc, "capabilities", "add");
    const struct ynode *mounts = ynode_get(c, "volumeMounts");

    if (!seq_exactly(PATH(sc, "capabilities", "drop"), all, 1))
        problem(n, "a container does not drop ALL capabilities");
    if (str_is(ynode_get(sc, "privileged"), "true"))
        problem(n, "a container is privileged");
    if (!str_is(ynode_get(sc, "allowPrivilegeEscalation"), "false"))
        problem(n, "a container allows privilege escalation");
    if (is_capture(c)) {
        *capture = c;
        if (!seq_exactly(add, caps, 2))
            problem(n, "the capture's capabilities are not exactly NET_RAW and NET_ADMIN");
    } else if (add && !ynode_is_null(add) && !(add->kind == YNODE_SEQ && add->u.seq.n == 0)) {
        problem(n, "a container other than the capture adds capabilities");
    }
    for (size_t i = 0; mounts && mounts->kind == YNODE_SEQ && i < mounts->u.seq.n; i++) {
        const char *name = str(ynode_get(mounts->u.seq.items[i], "name"));
        int found = 0;

        for (size_t j = 0; vols && vols->kind == YNODE_SEQ && j < vols->u.seq.n && !found; j++)
            found = name && str_is(ynode_get(vols->u.seq.items[j], "name"), name);
        if (!found)
            problem(n, "a volume mount names no volume");
    }
}

/* The capture's args: -w under a hostPath mount, -G, --node $(NODE_NAME)
 * with NODE_NAME from spec.nodeName, -i cali*. */
static void check_capture(const struct ynode *c, const struct ynode *vols, int *n)
{
    const struct ynode *args = ynode_get(c, "args"), *env = ynode_get(c, "env");
    const struct ynode *mounts = ynode_get(c, "volumeMounts");
    const char *w = NULL, *node = NULL, *limit = NULL;
    int cali = 0, env_ok = 0, host_ok = 0;

    for (size_t i = 0; args && args->kind == YNODE_SEQ && i + 1 < args->u.seq.n; i++) {
        const char *a = str(args->u.seq.items[i]), *v = str(args->u.seq.items[i + 1]);

        if (!a || !v)
            continue;
        if (strcmp(a, "-w") == 0)
            w = v;
        else if (strcmp(a, "--node") == 0)
            node = v;
        else if (strcmp(a, "-G") == 0)
            limit = v;
        else if (strcmp(a, "-i") == 0 && strcmp(v, "cali*") == 0)
            cali = 1;
    }
    for (size_t i = 0; env && env->kind == YNODE_SEQ && i < env->u.seq.n; i++) {
        const struct ynode *e = env->u.seq.items[i];

        if (str_is(ynode_get(e, "name"), "NODE_NAME") &&
            str_is(PATH(e, "valueFrom", "fieldRef", "fieldPath"), "spec.nodeName"))
            env_ok = 1;
    }
    if (!w)
        problem(n, "the capture has no -w");
    if (!limit || !*limit || strspn(limit, "0123456789") != strlen(limit) || limit[0] == '0')
        problem(n, "the capture has no time limit (-G SECONDS)");
    if (!cali)
        problem(n, "the capture does not capture -i 'cali*'");
    if (!node || strcmp(node, "$(NODE_NAME)") != 0 || !env_ok)
        problem(n, "--node is not $(NODE_NAME) from the downward API's spec.nodeName");
    /* -w's directory is a mount of a hostPath volume. */
    for (size_t i = 0; w && mounts && mounts->kind == YNODE_SEQ && i < mounts->u.seq.n; i++) {
        const struct ynode *m = mounts->u.seq.items[i];
        const char *mp = str(ynode_get(m, "mountPath")), *name = str(ynode_get(m, "name"));
        size_t len = mp ? strlen(mp) : 0;

        if (!mp || !name || strncmp(w, mp, len) != 0 || w[len] != '/' || strchr(w + len + 1, '/'))
            continue;
        for (size_t j = 0; vols && vols->kind == YNODE_SEQ && j < vols->u.seq.n; j++) {
            const struct ynode *v = vols->u.seq.items[j];

            if (str_is(ynode_get(v, "name"), name) && str(PATH(v, "hostPath", "path")))
                host_ok = 1;
        }
    }
    if (!host_ok)
        problem(n, "the case (-w) is not written to a hostPath volume");
}

/* Problems found in the manifest text (0: good); args_out gets the
 * capture's args one per line when not NULL. */
static int deploy_check(const char *name, const char *text, FILE *args_out)
{
    struct ystream ys;
    struct diag d;
    const struct ynode *ds = NULL;
    int n = 0;

    diag_init(&d, stderr, "test_deploy");
    if (ystream_load_mem(&ys, name, text, strlen(text), &d) != 0)
        return 1;
    for (size_t i = 0; i < ys.ndocs; i++)
        if (ys.docs[i] && str_is(ynode_get(ys.docs[i], "kind"), "DaemonSet"))
            ds = ys.docs[i];
    if (!ds) {
        ystream_release(&ys);
        return problem(&n, "no DaemonSet"), n;
    }
    if (!str_is(ynode_get(ds, "apiVersion"), "apps/v1"))
        problem(&n, "apiVersion is not apps/v1");
    {
        const struct ynode *sel = PATH(ds, "spec", "selector", "matchLabels");
        const struct ynode *labels = PATH(ds, "spec", "template", "metadata", "labels");
        const struct ynode *spec = PATH(ds, "spec", "template", "spec");
        const struct ynode *vols = ynode_get(spec, "volumes"), *capture = NULL;
        static const char *const lists[] = {"initContainers", "containers"};

        if (!sel || sel->kind != YNODE_MAP || sel->u.map.n == 0)
            problem(&n, "no spec.selector.matchLabels");
        for (size_t i = 0; sel && sel->kind == YNODE_MAP && i < sel->u.map.n; i++) {
            const char *v = str(sel->u.map.pairs[i].value);

            if (!v || !str_is(ynode_get(labels, sel->u.map.pairs[i].key->u.scalar.s), v))
                problem(&n, "the selector does not match the template's labels");
        }
        if (!str_is(ynode_get(spec, "hostNetwork"), "true"))
            problem(&n, "hostNetwork is not true");
        for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
            const struct ynode *cs = ynode_get(spec, lists[l]);

            for (size_t i = 0; cs && cs->kind == YNODE_SEQ && i < cs->u.seq.n; i++)
                check_container(cs->u.seq.items[i], vols, &n, &capture);
        }
        if (!capture) {
            problem(&n, "no container runs podflow-capture");
        } else {
            const struct ynode *args = ynode_get(capture, "args");

            check_capture(capture, vols, &n);
            for (size_t i = 0; args_out && args && args->kind == YNODE_SEQ && i < args->u.seq.n;
                 i++)
                fprintf(args_out, "%s\n",
                        str(args->u.seq.items[i]) ? str(args->u.seq.items[i]) : "");
        }
    }
    ystream_release(&ys);
    return n;
}

static char *slurp(const char *file)
{
    FILE *f = fopen(file, "rb");
    static char buf[1 << 16];
    size_t len;

    if (!f)
        return NULL;
    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static void test_manifest(void **state)
{
    const char *text = slurp(MANIFEST);

    (void)state;
    assert_non_null(text);
    assert_int_equal(deploy_check(MANIFEST, text, NULL), 0);
}

/* A small valid DaemonSet, and variants breaking one rule each. */
#define DS_HEAD                                                                                    \
    "apiVersion: %s\nkind: DaemonSet\nmetadata: {name: x}\nspec:\n"                                \
    "  selector: {matchLabels: {app: %s}}\n"                                                       \
    "  template:\n    metadata: {labels: {app: cap}}\n    spec:\n      hostNetwork: %s\n"          \
    "      volumes: [{name: cases, hostPath: {path: /var/lib/podflow}}]\n"                         \
    "      containers:\n"                                                                          \
    "      - name: c\n        command: [podflow-capture]\n"                                        \
    "        args: ['-w', '%s', '-i', 'cali*', '-G', '%s', '--node', '$(NODE_NAME)']\n"            \
    "        env: [{name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: %s}}}]\n"                   \
    "        volumeMounts: [{name: %s, mountPath: /var/lib/podflow}]\n"                            \
    "        securityContext:\n          allowPrivilegeEscalation: false\n"                        \
    "          capabilities: {drop: [%s], add: [%s]}\n"

static void test_rules_fail(void **state)
{
    static const struct {
        const char *api, *sel, *hostnet, *w, *g, *field, *mount, *drop, *add;
        int problems;
    } cases[] = {
        /* valid: nothing to say */
        {"apps/v1", "cap", "true", "/var/lib/podflow/n.db", "60", "spec.nodeName", "cases", "ALL",
         "NET_RAW, NET_ADMIN", 0},
        /* an old API group */
        {"extensions/v1beta1", "cap", "true", "/var/lib/podflow/n.db", "60", "spec.nodeName",
         "cases", "ALL", "NET_RAW, NET_ADMIN", 1},
        /* the selector would select no pod of the template */
        {"apps/v1", "other", "true", "/var/lib/podflow/n.db", "60", "spec.nodeName", "cases", "ALL",
         "NET_RAW, NET_ADMIN", 1},
        /* the pod's own network namespace: no cali* there */
        {"apps/v1", "cap", "false", "/var/lib/podflow/n.db", "60", "spec.nodeName", "cases", "ALL",
         "NET_RAW, NET_ADMIN", 1},
        /* the case in the container's filesystem, lost with it */
        {"apps/v1", "cap", "true", "/tmp/n.db", "60", "spec.nodeName", "cases", "ALL",
         "NET_RAW, NET_ADMIN", 1},
        /* no time limit */
        {"apps/v1", "cap", "true", "/var/lib/podflow/n.db", "0", "spec.nodeName", "cases", "ALL",
         "NET_RAW, NET_ADMIN", 1},
        /* the node name from the wrong field */
        {"apps/v1", "cap", "true", "/var/lib/podflow/n.db", "60", "metadata.name", "cases", "ALL",
         "NET_RAW, NET_ADMIN", 1},
        /* a mount of no volume (and so no hostPath for -w) */
        {"apps/v1", "cap", "true", "/var/lib/podflow/n.db", "60", "spec.nodeName", "nope", "ALL",
         "NET_RAW, NET_ADMIN", 2},
        /* capabilities kept */
        {"apps/v1", "cap", "true", "/var/lib/podflow/n.db", "60", "spec.nodeName", "cases",
         "NET_RAW", "NET_RAW, NET_ADMIN", 1},
        /* one capability too many */
        {"apps/v1", "cap", "true", "/var/lib/podflow/n.db", "60", "spec.nodeName", "cases", "ALL",
         "NET_RAW, NET_ADMIN, SYS_ADMIN", 1},
        /* one too few */
        {"apps/v1", "cap", "true", "/var/lib/podflow/n.db", "60", "spec.nodeName", "cases", "ALL",
         "NET_RAW", 1},
    };
    char text[2048];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        snprintf(text, sizeof(text), DS_HEAD, cases[i].api, cases[i].sel, cases[i].hostnet,
                 cases[i].w, cases[i].g, cases[i].field, cases[i].mount, cases[i].drop,
                 cases[i].add);
        if (deploy_check("case", text, NULL) != cases[i].problems)
            fail_msg("case %zu: expected %d problem(s)", i, cases[i].problems);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_rules_fail),
    };

    if (argc == 2 && strcmp(argv[1], "--args") == 0) {
        const char *text = slurp(MANIFEST);

        return text && deploy_check(MANIFEST, text, stdout) == 0 ? 0 : 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
