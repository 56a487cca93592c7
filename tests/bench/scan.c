/*
 * scan.c: the benchmark's baseline: a bare SQLite scan of the same flows,
 * with the same query and the same columns read as podflow-analyze check
 * reads them (analyze/case.c case_flows), and nothing else.
 *
 *     scan [-1] CASE.db    prints the rows scanned and a checksum
 *
 * -1 configures SQLite for a single thread as podflow-analyze does
 * (analyze/main.c); without it the scan uses SQLite's defaults (serialized
 * mode: a mutex around every call), the barest scan there is.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    uint64_t rows = 0, sum = 0;
    int i;

    if (argc == 3 && argv[1][0] == '-' && argv[1][1] == '1' && !argv[1][2]) {
        (void)sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
        argv++;
        argc--;
    }
    if (argc != 2 || sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return 2;
    /* Format 2 cases have the Service translation columns: read them too,
     * as check does. */
    if (sqlite3_prepare_v2(db,
                           "SELECT id, capture_id, proto, src_ip, src_port, dst_ip, dst_port,"
                           " first_ns, last_ns, packets_fwd, packets_rev, bytes_fwd, bytes_rev,"
                           " state, icmp_type, icmp_code, icmp_count, dnat_ip, dnat_port FROM flows"
                           " WHERE last_ns >= ?1 AND first_ns <= ?2",
                           -1, &st, NULL) != SQLITE_OK &&
        sqlite3_prepare_v2(db,
                           "SELECT id, capture_id, proto, src_ip, src_port, dst_ip, dst_port,"
                           " first_ns, last_ns, packets_fwd, packets_rev, bytes_fwd, bytes_rev,"
                           " state, icmp_type, icmp_code, icmp_count, NULL, NULL FROM flows"
                           " WHERE last_ns >= ?1 AND first_ns <= ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return 2;
    sqlite3_bind_int64(st, 1, INT64_MIN);
    sqlite3_bind_int64(st, 2, INT64_MAX);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (i = 0; i < 19; i++) {
            if (i == 3 || i == 5 || i == 13 || i == 17)
                sum += (uint64_t)sqlite3_column_bytes(st, i) + (sqlite3_column_text(st, i) ? 1 : 0);
            else
                sum += (uint64_t)sqlite3_column_int64(st, i);
        }
        rows++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    printf("%llu rows, checksum %llu\n", (unsigned long long)rows, (unsigned long long)sum);
    return 0;
}
