/*
 * fuzz_polwrite.c: libFuzzer target for suggest's edits of the current
 * policy files (analyze/policy/pol_write.c, "edits of a loaded file"):
 * suggest --fix reads the user's files as text and edits them where the
 * loader found a rule (a port added to a rule's list, a rule inserted), so
 * the text is untrusted input to a second reader beside the loader.
 *
 * Input: byte 0 chooses the edits' arguments (a rule index, insert before
 * the first rule or after the last, a comment or none); the rest is a
 * policy file (YAML or JSON), loaded with policy_set_load_mem().  For
 * every policy suggest would edit (a Calico NetworkPolicy or
 * GlobalNetworkPolicy, not staged; the first FP_MAX_POLICIES) and both
 * directions: pw_edit_add_ports() and pw_edit_insert_rule(), and for each
 * edit made, pw_edits_apply() and pw_edits_udiff().  Nothing may crash or
 * leak; an edit returns 0, ERR_NOTFOUND, ERR_INVALID or ERR_LIMIT; what an
 * edit writes must load again (suggest proves its fix by loading the
 * written files back: a file it cannot read back is a bug).
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "analyze/policy/pol_write.h"
#include "analyze/policy/policy.h"
#include "common/buf.h"
#include "common/labels.h"
#include "common/compat.h"

#define FP_MAX_POLICIES 8

static const char fp_name[] = "fuzz.yaml";

/* The edited text must load as the original did (a file that loaded). */
static void check_reloads(const char *text, size_t len, const struct pw_edit *e)
{
    struct policy_set ps;
    struct buf out;
    struct diag d;

    buf_init(&out, 0);
    if (pw_edits_apply(text, len, e, 1, &out) == 0) {
        fuzz_diag(&d);
        if (policy_set_load_mem(&ps, fp_name, out.data ? out.data : "", out.len,
                                POLICY_LOAD_ALLOW_EMPTY, &d) == 0)
            policy_set_release(&ps);
        else
            fuzz_fail("fuzz_polwrite", "an edited file does not load again");
    }
    buf_reset(&out);
    if (pw_edits_udiff("a/fuzz.yaml", "b/fuzz.yaml", text, len, e, 1, &out) != 0 && out.len == 0)
        fuzz_fail("fuzz_polwrite", "udiff failed with nothing written");
    buf_release(&out);
}

static void check_rc(const char *what, const struct policy *p, int dir, int rc)
{
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_polwrite: %s, %s of %s: %s\n", what,
                dir == DIR_INGRESS ? "ingress" : "egress", p->name, rc ? err_str(rc) : "made");
    if (rc != 0 && rc != ERR_NOTFOUND && rc != ERR_INVALID && rc != ERR_LIMIT)
        fuzz_fail("fuzz_polwrite", "an edit returned an undocumented error");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const items[] = {"42001", "\"42001:42002\""};
    struct policy_set ps;
    struct labels peer;
    struct port_match pm = {8080, 8080, NULL};
    struct pw_rule r;
    struct diag d;
    const char *text;
    size_t len, np;
    uint8_t ctl;

    if (size < 1)
        return 0;
    ctl = data[0];
    text = (const char *)data + 1;
    len = size - 1;
    fuzz_diag(&d);
    if (policy_set_load_mem(&ps, fp_name, text, len, POLICY_LOAD_ALLOW_EMPTY, &d) != 0)
        return 0;
    labels_init(&peer);
    if (labels_set(&peer, "app", "worker"))
        abort();
    memset(&r, 0, sizeof(r));
    r.proto = 6;
    r.peer.pod = &peer;
    r.peer.ns = ctl & 0x10 ? "engine" : NULL;
    r.ports = &pm;
    r.nports = 1;
    r.comment = ctl & 0x20 ? "podflow suggest: a fix\nsecond line" : NULL;
    np = ps.npolicies < FP_MAX_POLICIES ? ps.npolicies : FP_MAX_POLICIES;
    for (size_t i = 0; i < np; i++) {
        const struct policy *p = &ps.policies[i];

        /* What suggest edits (suggest.c, editable()): Calico's own
         * enforced policies. */
        if ((p->kind != POL_NP && p->kind != POL_GNP) || p->staged)
            continue;
        for (int dir = DIR_INGRESS; dir <= DIR_EGRESS; dir++) {
            size_t nr = dir == DIR_INGRESS ? p->ningress : p->negress;
            struct pw_edit e;
            int rc;

            memset(&e, 0, sizeof(e));
            rc = pw_edit_add_ports(fp_name, text, len, p, dir, nr ? (ctl & 7) % nr : 0, items,
                                   (ctl & 8) ? 2 : 1,
                                   ctl & 0x40 ? "podflow suggest: widened" : NULL, &e, &d);
            check_rc("ports added", p, dir, rc);
            if (rc == 0)
                check_reloads(text, len, &e);
            pw_edit_release(&e);
            memset(&e, 0, sizeof(e));
            rc = pw_edit_insert_rule(fp_name, text, len, p, dir, ctl & 0x80 ? SIZE_MAX : 0, &r, &e,
                                     &d);
            check_rc("rule inserted", p, dir, rc);
            if (rc == 0)
                check_reloads(text, len, &e);
            pw_edit_release(&e);
        }
    }
    labels_release(&peer);
    policy_set_release(&ps);
    return 0;
}
