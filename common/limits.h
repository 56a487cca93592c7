/*
 * limits.h: every hard limit of podflow, in one place.
 *
 * Each limit bounds how much untrusted input (packets, pcap files, YAML,
 * inventories, .db files from customers) can make us allocate or recurse.
 * Inputs past a limit are rejected with a message naming the limit, never
 * truncated silently.  Raise a limit here, with its reason, or not at all.
 */
#ifndef PODFLOW_LIMITS_H
#define PODFLOW_LIMITS_H

/* Entries of one hash table (common/htab.h): its slots are picked by
 * 32 bits of hash and it is kept at most half full, so 2^31 entries fill
 * the 2^32 slots those bits reach.  No table of ours comes near (the
 * largest, the analyzer's verdict cache, holds one entry per distinct
 * flow tuple); past it the program aborts, as on out of memory. */
#define LIM_HTAB_ENTRIES (1u << 31)

/* Default snap length for live capture: Ethernet + 2 VLAN tags + an outer
 * IPv6 header with a few extension headers + VXLAN + inner Ethernet + inner
 * IPv6 + TCP with options fits in 256 bytes; ICMP errors quote the inner
 * headers right after theirs.  Payload is never needed. */
#define LIM_SNAPLEN_DEFAULT 256

/* Largest snap length accepted on the command line (libpcap's own maximum,
 * MAXIMUM_SNAPLEN in pcap-int.h). */
#define LIM_SNAPLEN_MAX 262144

/* IPv6 extension headers followed before a packet is counted malformed:
 * RFC 8200 allows each at most once (Destination Options twice), so a
 * longer chain is hostile. */
#define LIM_IPV6_EXT_HDRS 8

/* Encapsulation layers (IP-in-IP, VXLAN) decoded before giving up: an
 * overlay is one layer; a packet nesting deeper is hostile. */
#define LIM_ENCAP_DEPTH 4

/* Default cap on flows held in memory at once (--max-flows).  At ~100 bytes
 * a flow this keeps the table near 100 MB; the oldest idle flows are evicted
 * (and written) past it. */
#define LIM_FLOWS_DEFAULT 1000000

/* Largest --max-flows accepted: 100M flows at ~100 bytes is 10 GB, past
 * any node we would run on; a larger number is a typo. */
#define LIM_FLOWS_MAX 100000000

/* Largest -B (ring buffer, MiB) accepted: libpcap takes the size as an int
 * of bytes, so 2047 MiB is the most it can express. */
#define LIM_BUFFER_MIB_MAX 2047

/* IP fragments whose flow we remember (first fragment -> ports) so later
 * fragments are attributed to it: a direct-mapped table of this many
 * slots, overwritten on collision, so hostile fragment floods cost a fixed
 * ~300 KB and only make later fragments count as orphans. */
#define LIM_FRAG_TRACK 4096

/* Flows written per transaction at most, between periodic commits. */
#define LIM_WRITE_BATCH 65536

/* YAML/JSON documents: nesting depth, one scalar's size, a whole file's size
 * and node count.  kubectl output of a large cluster stays far below these;
 * the depth limit stops stack exhaustion, the others memory exhaustion. */
#define LIM_YAML_DEPTH  64
#define LIM_YAML_SCALAR (1u << 20)
#define LIM_YAML_FILE   (256u << 20)
#define LIM_YAML_NODES  (16u << 20)

/* Calico selectors: length in bytes, label token length (Calico's own
 * tokenizer limit), and parser nesting depth. */
#define LIM_SELECTOR_LEN   65536
#define LIM_LABEL_LEN      512
#define LIM_SELECTOR_DEPTH 64

/* Labels on one object, and the size of one label key or value.  Kubernetes
 * allows keys of 253+1+63 bytes and values of 63; annotations are not
 * labels.  The cap on count stops a hostile .db inflating memory. */
#define LIM_LABELS      1024
#define LIM_LABEL_KEY   317
#define LIM_LABEL_VALUE 1024

/* A labels JSON text read back from a .db (untrusted). */
#define LIM_LABELS_JSON (256u << 10)

/* Addresses of one inventory object (a pod's podIPs, a service's
 * clusterIPs, a node's addresses, one EndpointSlice endpoint's addresses).
 * Kubernetes allows one pod or cluster IP per family and 100 addresses per
 * slice endpoint (in practice one); a node has a handful.  The cap keeps a
 * hostile inventory from multiplying endpoint rows. */
#define LIM_INV_OBJECT_IPS 128

/* JSON writer nesting depth. */
#define LIM_JSON_DEPTH 64

/* Growable buffers default to this maximum unless their owner sets one. */
#define LIM_BUF_DEFAULT (64u << 20)

/* Distinct address texts the analyzer's flow scan remembers (parsed
 * address and endpoint row, ~64 bytes each): a case has few distinct
 * addresses and millions of flows; a hostile one with more only loses the
 * shortcut. */
#define LIM_CASE_ADDR_MEMO 262144

/* Unusable rows of one case the reader leaves out and remembers (8 bytes
 * each, so that pairing and merging leave them out too): podflow writes
 * none; a case with more is damaged past use, and is refused. */
#define LIM_CASE_BAD_ROWS (1u << 20)

/* Distinct external addresses podflow-capture --redact-external gives
 * their own pseudonym (~100 bytes of memory each, common/pseudo.h); a
 * node facing a scan of the Internet meets more, and the rest then share
 * one overflow pseudonym per family: redacted still, memory bounded. */
#define LIM_PSEUDO_ADDRS (1u << 20)

/* Policies and rules in one loaded policy set; rules in one policy. */
#define LIM_POLICIES         100000
#define LIM_RULES_PER_POLICY 10000

/* How long opening or writing a .db waits for another connection's lock
 * before failing with "database is locked": long enough to ride out a
 * checkpoint or the commit of a LIM_WRITE_BATCH batch, short enough that a
 * second writer on the same case fails at once rather than hanging. */
#define LIM_DB_BUSY_MS 3000

/* Largest string or blob a reader takes from a .db (SQLITE_LIMIT_LENGTH):
 * a case from a stranger cannot make one value cost more memory than this.
 * podflow writes nothing near it (labels JSON stays under LIM_LABELS_JSON). */
#define LIM_DB_VALUE (16 << 20)

/* Both-ends pairing (analyze/case.c): a connection is seen by at most this
 * many vantage points, (capture, interface) pairs (the pods' links and the
 * uplinks on its path: two to four in practice, more only with
 * overlapping captures of one node); and a flow is compared with at
 * most this many later rows of the same 5-tuple, so that a hostile case
 * with a million rows of one tuple costs linear time, not quadratic. */
#define LIM_CASE_ENDS      16
#define LIM_CASE_PAIR_SCAN 64

/* Bytes of flow records the pairing sorts in memory (analyze/case/pair.c),
 * for each of its two passes, before it writes sorted runs to $TMPDIR:
 * so that a case of 10^8 flows pairs in memory that does not grow with it
 * (about 130 MB in all), while a case of up to about 600,000 flows never
 * touches the disk. */
#define LIM_CASE_PAIR_MEM (64u * 1024u * 1024u)

/* Threads check judges flows in (--jobs): each holds an engine and a
 * SQLite connection, so more than the cores only costs memory. */
#define LIM_JOBS 64

/* Flow ids one part of a parallel check covers (analyze/cmd/cmd_check.c):
 * small enough that the parts waiting to be written in order stay a few
 * MB, large enough that a part's setup (a statement reset, a seek of the
 * pairing's runs) is lost in its rows. */
#define LIM_CHECK_PART_IDS 16384

/* Interfaces captured at once (each is one pcap handle and ring). */
#define LIM_IFACES 1024

/* The HTML report (podflow-analyze report): flows listed in its flows table,
 * and in the panels a click on a graph edge opens (per edge, and over all
 * edges).  A browser stays responsive with tens of thousands of table rows
 * and a page of a few tens of MB; past that the page says how many were
 * left out (denied flows come first in the table, so none of them is).
 * A workload's side panel lists more than an edge's: every flow in and
 * out of it is what a click on it asks for. */
#define LIM_REPORT_FLOWS       20000
#define LIM_REPORT_EDGE_FLOWS  50
#define LIM_REPORT_PANEL_FLOWS 20000
#define LIM_REPORT_NODE_FLOWS  200

/* A traffic series (check --interval, the report's traffic over time):
 * buckets (a week in 10 s steps is 60,480), and cells over every scope
 * (the cluster and each namespace; 48 bytes per bucket and scope), so
 * that a fine interval over a long case of many namespaces is refused,
 * with the count it would take, rather than taking gigabytes: 2^21
 * bucket-scopes are 100 MB, 100 namespaces at 20,000 buckets. */
#define LIM_SERIES_BUCKETS 200000
#define LIM_SERIES_CELLS   (1u << 21)

/* Nodes of the service graph handed to graphviz: its dot layout is
 * superlinear, and a page of more boxes than this is unreadable anyway;
 * past it the report shows the tables without a graph and says why. */
#define LIM_GRAPH_NODES 2000

/* Address-to-interface intervals one capture records (capture/nl_ident.c):
 * a pod starting or stopping adds one or two, so a million covers a busy
 * node for weeks; the bound keeps a route-flapping node from eating the
 * memory. */
#define LIM_NL_INTERVALS 1000000

/* Service translations remembered at once (capture/conntrack.c): a flow
 * is written at most a few minutes after its conntrack entry appears, and
 * a node opens far fewer than 256k Service connections in that time; each
 * costs ~80 bytes (20 MB). */
#define LIM_CT_ENTRIES 262144

/* Inventory rows, and netlink intervals, of one address that the endpoint
 * join takes (common/ident.c): its cost grows with the square of the
 * count, and 1024 pods reusing one address within one case is far past
 * any real cluster; a case from a stranger with more is refused. */
#define LIM_IDENT_PER_IP 1024

/* Lists nested inside lists in an inventory (a List whose items are
 * PodLists) are followed this deep; kubectl never nests, so anything
 * deeper is hostile. */
#define LIM_INV_LIST_DEPTH 4

/* Named container ports read for one endpoint from a case: a pod declares
 * a handful; a hostile case could declare millions per row. */
#define LIM_ENDPOINT_PORTS 1024

/* Tables and columns of one case that merge copies: schema.sql has a few
 * dozen, so more is a hostile or foreign file. */
#define LIM_MERGE_TABLES 32
#define LIM_MERGE_COLS   64

/* A duration option of podflow-capture (-G, timeouts, commit interval), in
 * seconds: at most a year, far past any sensible value, and small enough
 * that its nanoseconds never overflow. */
#define LIM_SECONDS_OPT (366u * 24 * 3600)

/* Temporary files of one process that a signal removes (common/outfile.c):
 * an output's temporary file and a scratch case or two are all a command
 * makes at once; past this a file is only removed by a later run's sweep. */
#define LIM_TMP_FILES 8

/* Backends of one Service judged for a flow whose translation was not
 * recorded (docs/semantics.md §12): each is one more verdict; a Service
 * with more ready endpoints than this gives `unknown` rather than a scan
 * of thousands per flow. */
#define LIM_SVC_BACKENDS 256

/* Addresses, ports and pod networks of the Services of one case that the
 * analyzer reads (services, service_endpoints, pod_networks rows, and the
 * ports or addresses of one row): a cluster has thousands of Services; a
 * hostile case could hold millions. */
#define LIM_CASE_SVC_ROWS  (1u << 20)
#define LIM_CASE_SVC_ITEMS 1024

/* Process attribution (capture/proc_attr.c).  New flows whose sockets are
 * looked for, per second at most: a node opens a few thousand connections a
 * second at most; past this (a flood, a pcap read with --process) flows are
 * counted in captures.flows_unsought rather than queued without end. */
#define LIM_PROC_LOOKUPS_PER_S 20000

/* A namespace's sockets are dumped at most this often (ms): the poll that
 * answers new flows; and namespaces holding a recorded socket still open
 * are dumped again this often (ms) to see it close (its valid_to_ns). */
#define LIM_PROC_POLL_MS   100
#define LIM_PROC_RESCAN_MS 1000
/* A flow end whose socket a dump does not show yet (the server's end of a
 * connection is accepted after the handshake the capture saw begin) is
 * looked for again at each poll for this long (ms), then counted
 * unattributed: sockets that closed before are not guessed. */
#define LIM_PROC_SETTLE_MS 1000

/* Network namespaces, sockets of one namespace, and lookups waiting for a
 * poll, held by the attribution helper at most: a node runs at most a few
 * hundred pods of a few thousand sockets each; what is past these limits
 * is counted unattributed. */
#define LIM_PROC_NETNS      4096
#define LIM_PROC_NS_SOCKETS 262144
#define LIM_PROC_PENDING    65536

/* Directory nesting followed below a -p (or --keep-policy-nets) directory:
 * deeper trees are a symlink loop or not a policy repository. */
#define LIM_POLICY_DIR_DEPTH 32

/* Redaction keeps the addresses inside the CIDRs the customer's policies
 * name (--keep-policy-nets), but not inside wider ones: a /0 to /7 (IPv4)
 * or /0 to /31 (IPv6) would keep a large part of the Internet unredacted,
 * which is not what a policy naming "everything" means to share; such a
 * CIDR is reported, and check flags the verdicts it makes on pseudonyms. */
#define LIM_KEEP_NET_MIN_PLEN4 8
#define LIM_KEEP_NET_MIN_PLEN6 32

/* CIDRs kept unredacted at most (a threat-feed GlobalNetworkSet can list
 * tens of thousands); the case records them in one meta value, which
 * stays well under LIM_DB_VALUE. */
#define LIM_KEEP_NETS 100000

/* suggest's breadth figure judges every (source workload, destination
 * workload, destination port) candidate under the result, and the engine
 * keeps each verdict (about 500 bytes: 800 workloads, 640,000 candidates
 * took 14 s and 340 MB on a loaded 2-core machine): past this many the
 * figure is left out, and the output says so. */
#define LIM_SUGGEST_BREADTH 1000000u

#endif
