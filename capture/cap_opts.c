/*
 * cap_opts.c: podflow-capture's command line (see cap_opts.h).  Usage
 * errors are one line naming the option and what was expected, ending
 * with "(see --help)" where the fix is not obvious from the line itself.
 */
#include "capture/cap_opts.h"

#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

#define PROG "podflow-capture"

static const char usage_text[] =
    "usage: " PROG " -w CASE.db (-i IFACE|GLOB ... | -r FILE ...) [-f BPF] [-s SNAPLEN]\n"
    "                       [-B MIB] [-G SECONDS] [--idle-timeout S] [--active-timeout S]\n"
    "                       [--commit-interval S] [--max-flows N] [--node NAME]\n"
    "                       [--inventory FILE ...] [--redact-external\n"
    "                       [--keep-policy-nets PATH ...] [--keep-net CIDR ...]]\n"
    "                       [--no-process] [--process] [-Z USER] [-q]\n"
    "\n"
    "Record the flows seen on live interfaces or in pcap/pcapng files into CASE.db.\n"
    "\n"
    "  -w CASE.db            the case file (created 0600, or a new capture added to it)\n"
    "  -i IFACE|GLOB         capture live on an interface, or on every link matching a\n"
    "                        glob ('cali*'), including links that appear later; repeatable\n"
    "  -r FILE               read a pcap or pcapng file; repeatable, read in order\n"
    "  -f BPF                capture filter (pcap-filter(7) syntax)\n"
    "  -s SNAPLEN            bytes kept per packet (default 256: headers only)\n"
    "  -B MIB                kernel ring buffer per interface, MiB\n"
    "  -G SECONDS            stop after this many seconds\n"
    "  --idle-timeout S      idle timeout of established TCP, UDP and ICMP flows\n"
    "  --active-timeout S    write long flows as interim rows every S seconds (300)\n"
    "  --commit-interval S   commit to CASE.db at least every S seconds (5), also while\n"
    "                        -r reads a pipe or FIFO (-r - : standard input)\n"
    "  --max-flows N         flows held in memory at most (1000000)\n"
    "  --node NAME           node name recorded (default: host name)\n"
    "  --inventory FILE      kubectl get pods,namespaces,services,endpointslices,nodes -A\n"
    "                        -o yaml (or json) output, reloaded when it changes; repeatable\n"
    "  --redact-external     replace external addresses (not pods, Services or nodes\n"
    "                        known from --inventory or netlink) by keyed pseudonyms\n"
    "                        before writing; the -f filter is not recorded\n"
    "  --keep-policy-nets PATH  with --redact-external: keep, unredacted, the addresses\n"
    "                        inside every CIDR the policies in PATH (file or directory)\n"
    "                        name (nets, notNets, ipBlock, NetworkSets); repeatable\n"
    "  --keep-net CIDR       with --redact-external: keep the addresses inside CIDR too\n"
    "  --no-process          do not look for the process owning each flow's sockets\n"
    "                        (done by default for -i: NETLINK_SOCK_DIAG in each pod's\n"
    "                        network namespace and /proc)\n"
    "  --process             look for them with -r too (a pipe from a capture on this\n"
    "                        node: tcpdump -w - | podflow-capture -r - --process)\n"
    "  -Z USER               drop to USER after opening the sockets (process\n"
    "                        attribution's helper keeps CAP_SYS_ADMIN, CAP_SYS_PTRACE\n"
    "                        and CAP_DAC_READ_SEARCH)\n"
    "  -q                    no progress line\n"
    "  --help, --version\n";

enum {
    OPT_HELP = 256,
    OPT_VERSION,
    OPT_IDLE,
    OPT_ACTIVE,
    OPT_COMMIT,
    OPT_MAX_FLOWS,
    OPT_NODE,
    OPT_INVENTORY,
    OPT_REDACT,
    OPT_PROCESS,
    OPT_NO_PROCESS,
    OPT_KEEP_POLICY_NETS,
    OPT_KEEP_NET
};

static const struct option long_opts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"active-timeout", required_argument, NULL, OPT_ACTIVE},
    {"commit-interval", required_argument, NULL, OPT_COMMIT},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"node", required_argument, NULL, OPT_NODE},
    {"inventory", required_argument, NULL, OPT_INVENTORY},
    {"redact-external", no_argument, NULL, OPT_REDACT},
    {"process", no_argument, NULL, OPT_PROCESS},
    {"no-process", no_argument, NULL, OPT_NO_PROCESS},
    {"keep-policy-nets", required_argument, NULL, OPT_KEEP_POLICY_NETS},
    {"keep-net", required_argument, NULL, OPT_KEEP_NET},
    {NULL, 0, NULL, 0},
};

/* A number option: one line naming the option and the range on error. */
static int opt_num(struct diag *d, const char *name, const char *arg, uint64_t min, uint64_t max,
                   uint64_t *out)
{
    if (parse_u64(arg, strlen(arg), min, max, out) != 0) {
        diag_err(d, "invalid %s '%s': expected a whole number from %" PRIu64 " to %" PRIu64, name,
                 arg, min, max);
        return ERR_USAGE;
    }
    return 0;
}

int cap_opts_parse(struct cap_opts *o, struct diag *d, int argc, char **argv, FILE *out)
{
    uint64_t v;
    int c;

    memset(o, 0, sizeof(*o));
    o->snaplen = LIM_SNAPLEN_DEFAULT;
    o->commit_s = 5;
    o->process = -1;
    opterr = 0;
    optind = 0; /* glibc: start afresh, so the parser can run more than once */
    while ((c = getopt_long(argc, argv, ":w:i:r:f:s:B:G:Z:q", long_opts, NULL)) != -1) {
        switch (c) {
        case 'w':
            o->db_path = optarg;
            break;
        case 'i':
            if (o->n_ifaces >= LIM_IFACES) {
                diag_err(d, "too many -i (at most %d)", LIM_IFACES);
                return ERR_USAGE;
            }
            o->ifaces = xreallocarray(o->ifaces, o->n_ifaces + 1, sizeof(*o->ifaces));
            o->ifaces[o->n_ifaces++] = optarg;
            break;
        case 'r':
            if (o->n_files >= LIM_IFACES) {
                diag_err(d, "too many -r (at most %d)", LIM_IFACES);
                return ERR_USAGE;
            }
            o->files = xreallocarray(o->files, o->n_files + 1, sizeof(*o->files));
            o->files[o->n_files++] = optarg;
            break;
        case 'f':
            o->filter = optarg;
            break;
        case 's':
            if (opt_num(d, "snap length", optarg, 64, LIM_SNAPLEN_MAX, &v))
                return ERR_USAGE;
            o->snaplen = (int)v;
            break;
        case 'B':
            if (opt_num(d, "buffer size (-B)", optarg, 1, LIM_BUFFER_MIB_MAX, &v))
                return ERR_USAGE;
            o->buffer_mib = (int)v;
            break;
        case 'G':
            if (opt_num(d, "duration (-G)", optarg, 1, LIM_SECONDS_OPT, &o->duration_s))
                return ERR_USAGE;
            break;
        case 'Z':
            o->user = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case OPT_IDLE:
            if (opt_num(d, "--idle-timeout", optarg, 1, LIM_SECONDS_OPT, &o->idle_s))
                return ERR_USAGE;
            break;
        case OPT_ACTIVE:
            if (opt_num(d, "--active-timeout", optarg, 1, LIM_SECONDS_OPT, &o->active_s))
                return ERR_USAGE;
            break;
        case OPT_COMMIT:
            if (opt_num(d, "--commit-interval", optarg, 1, LIM_SECONDS_OPT, &o->commit_s))
                return ERR_USAGE;
            break;
        case OPT_MAX_FLOWS:
            if (opt_num(d, "--max-flows", optarg, 1, LIM_FLOWS_MAX, &o->max_flows))
                return ERR_USAGE;
            break;
        case OPT_NODE:
            o->node = optarg;
            break;
        case OPT_INVENTORY:
            if (o->n_inventories >= LIM_IFACES) {
                diag_err(d, "too many --inventory (at most %d)", LIM_IFACES);
                return ERR_USAGE;
            }
            o->inventories =
                xreallocarray(o->inventories, o->n_inventories + 1, sizeof(*o->inventories));
            o->inventories[o->n_inventories++] = optarg;
            break;
        case OPT_REDACT:
            o->redact_external = 1;
            break;
        case OPT_PROCESS:
            o->process = 1;
            break;
        case OPT_NO_PROCESS:
            o->process = 0;
            break;
        case OPT_KEEP_POLICY_NETS:
        case OPT_KEEP_NET: {
            char ***list = c == OPT_KEEP_NET ? &o->keep_nets : &o->keep_paths;
            size_t *n = c == OPT_KEEP_NET ? &o->n_keep_nets : &o->n_keep_paths;

            if (*n >= LIM_IFACES) {
                diag_err(d, "too many %s (at most %d)",
                         c == OPT_KEEP_NET ? "--keep-net" : "--keep-policy-nets", LIM_IFACES);
                return ERR_USAGE;
            }
            *list = xreallocarray(*list, *n + 1, sizeof(**list));
            (*list)[(*n)++] = optarg;
            break;
        }
        case OPT_HELP:
            fputs(usage_text, out);
            return 1;
        case OPT_VERSION:
            fprintf(out, PROG " %s\n", PODFLOW_VERSION);
            return 1;
        case ':':
            /* optopt is the option's value: a letter, or a long option's
             * OPT_* (then argv names it) */
            if (optopt > 0 && optopt < OPT_HELP)
                diag_err(d, "option -%c needs a value (see --help)", optopt);
            else
                diag_err(d, "option '%s' needs a value (see --help)", argv[optind - 1]);
            return ERR_USAGE;
        default:
            if (optopt)
                diag_err(d, "unknown option -%c (see --help)", optopt);
            else
                diag_err(d, "unknown option '%s' (see --help)", argv[optind - 1]);
            return ERR_USAGE;
        }
    }
    /* "--keep-policy-nets a.yaml b/": the operands continue its list. */
    while (optind < argc && o->n_keep_paths && o->n_keep_paths < LIM_IFACES) {
        o->keep_paths = xreallocarray(o->keep_paths, o->n_keep_paths + 1, sizeof(*o->keep_paths));
        o->keep_paths[o->n_keep_paths++] = argv[optind++];
    }
    if (optind < argc) {
        diag_err(d, "unexpected argument '%s' (see --help)", argv[optind]);
        return ERR_USAGE;
    }
    if ((o->n_keep_paths || o->n_keep_nets) && !o->redact_external) {
        diag_err(d, "%s", "--keep-policy-nets and --keep-net go with --redact-external");
        return ERR_USAGE;
    }
    if (!o->db_path) {
        diag_err(d, "no case file: -w CASE.db is required (see --help)");
        return ERR_USAGE;
    }
    if (!o->n_ifaces == !o->n_files) {
        diag_err(d, "%s (see --help)",
                 o->n_ifaces ? "-i and -r cannot be mixed" : "nothing to capture: give -i or -r");
        return ERR_USAGE;
    }
    return 0;
}

char *cap_opts_command_line(int argc, char **argv)
{
    return cap_opts_command_line_hiding(argc, argv, NULL);
}

char *cap_opts_command_line_hiding(int argc, char **argv, const char *secret)
{
    struct buf b;
    int i;

    buf_init(&b, 0);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        uintptr_t sp = (uintptr_t)secret, ap = (uintptr_t)a;
        char hidden[256];
        int plain;

        /* Compared as integers: secret points into one argument or none. */
        if (secret && sp >= ap && sp <= ap + strlen(a)) {
            snprintf(hidden, sizeof(hidden), "%.*s[redacted]", (int)(sp - ap < 200 ? sp - ap : 200),
                     a);
            a = hidden;
        }
        plain = *a != '\0' && strcspn(a, " \t\n'\"\\$`*?[]<>|&;()#~") == strlen(a);

        if (i && buf_addch(&b, ' '))
            break;
        if (plain) {
            if (buf_addstr(&b, a))
                break;
            continue;
        }
        if (buf_addch(&b, '\''))
            break;
        for (; *a; a++) {
            if (*a == '\'' ? buf_addstr(&b, "'\\''") : buf_addch(&b, *a))
                break;
        }
        if (buf_addch(&b, '\''))
            break;
    }
    return buf_detach(&b, NULL);
}

char *cap_opts_join(char **v, size_t n)
{
    struct buf b;
    size_t i;

    buf_init(&b, 0);
    for (i = 0; i < n; i++) {
        if ((i && buf_addch(&b, ' ')) || buf_addstr(&b, v[i]))
            break;
    }
    return buf_detach(&b, NULL);
}
void cap_opts_release(struct cap_opts *o)
{
    free(o->ifaces);
    free(o->files);
    free(o->inventories);
    free(o->keep_paths);
    free(o->keep_nets);
    o->keep_paths = o->keep_nets = NULL;
    o->n_keep_paths = o->n_keep_nets = 0;
    o->ifaces = NULL;
    o->files = NULL;
    o->inventories = NULL;
    o->n_ifaces = o->n_files = o->n_inventories = 0;
}
