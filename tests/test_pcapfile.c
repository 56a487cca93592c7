/*
 * test_pcapfile.c: the classic-pcap walk (capture/pcapfile.c): headers it
 * takes and refuses, every malformed record shape (each must stop the walk
 * at that record's offset, for libpcap to take over, without reading past
 * the bytes), both byte orders and both time precisions, the same records
 * as libpcap on a written file, records across the window's end, and a
 * file truncated while it is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/pcapfile.h"
#include "tests/helpers/pcapw.h"
#include "common/compat.h"

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du

/* A savefile built in memory, in either byte order. */
struct img {
    uint8_t b[1024];
    size_t n;
    int big; /* 1: fields big-endian */
};

static void put32(struct img *im, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        im->b[im->n + (size_t)i] = (uint8_t)(im->big ? v >> (24 - 8 * i) : v >> (8 * i));
    im->n += 4;
}

static void put16(struct img *im, uint16_t v)
{
    im->b[im->n] = (uint8_t)(im->big ? v >> 8 : v);
    im->b[im->n + 1] = (uint8_t)(im->big ? v : v >> 8);
    im->n += 2;
}

static void hdr(struct img *im, int big, uint32_t magic, uint16_t major, uint16_t minor,
                uint32_t snaplen)
{
    memset(im, 0, sizeof(*im));
    im->big = big;
    put32(im, magic);
    put16(im, major);
    put16(im, minor);
    put32(im, 0); /* thiszone */
    put32(im, 0); /* sigfigs */
    put32(im, snaplen);
    put32(im, 1); /* LINKTYPE_ETHERNET */
}

/* A record header and caplen bytes of 0xab (fewer when body < caplen). */
static void rec(struct img *im, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
                uint32_t body)
{
    put32(im, sec);
    put32(im, frac);
    put32(im, caplen);
    put32(im, len);
    memset(im->b + im->n, 0xab, body);
    im->n += body;
}

/* Headers refused: the reader is not used and libpcap reads (or refuses)
 * the whole file. */
static void test_header(void **state)
{
    struct pcapfile pf;
    struct img im;
    static const struct {
        const char *what;
        uint32_t magic;
        uint16_t major, minor;
        uint32_t snaplen;
        size_t cut; /* bytes kept, 0: all */
        int want;
    } cases[] = {
        {"microseconds, 2.4", MAGIC_US, 2, 4, 65535, 0, 0},
        {"nanoseconds, 2.4", MAGIC_NS, 2, 4, 65535, 0, 0},
        {"truncated file header", MAGIC_US, 2, 4, 65535, 23, -1},
        {"empty file", MAGIC_US, 2, 4, 65535, 1, -1},
        {"pcapng section header block", 0x0a0d0d0au, 2, 4, 65535, 0, -1},
        {"Kuznetzov's modified format", 0xa1b2cd34u, 2, 4, 65535, 0, -1},
        {"text", 0x2d2d2d2du, 2, 4, 65535, 0, -1},
        {"version 2.3 (caplen and len may be swapped)", MAGIC_US, 2, 3, 65535, 0, -1},
        {"version 1.4", MAGIC_US, 1, 4, 65535, 0, -1},
        {"version 2.5", MAGIC_US, 2, 5, 65535, 0, -1},
    };
    (void)state;
    for (int big = 0; big < 2; big++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            hdr(&im, big, cases[i].magic, cases[i].major, cases[i].minor, cases[i].snaplen);
            if (cases[i].cut)
                im.n = cases[i].cut;
            if (pcapfile_init(&pf, im.b, im.n, cases[i].snaplen) != cases[i].want)
                fail_msg("%s (%s-endian)", cases[i].what, big ? "big" : "little");
        }
    }
    /* the snapshot length libpcap reports: 0 or above our maximum is refused */
    hdr(&im, 0, MAGIC_US, 2, 4, 65535);
    assert_int_equal(pcapfile_init(&pf, im.b, im.n, 0), -1);
    assert_int_equal(pcapfile_init(&pf, im.b, im.n, 262145), -1);
    assert_int_equal(pcapfile_init(&pf, NULL, 0, 65535), -1);
}

/* Records of both byte orders and precisions; the time stamp is exact. */
static void test_records(void **state)
{
    struct pcapfile pf;
    struct pcapfile_rec r;
    struct img im;

    (void)state;
    for (int big = 0; big < 2; big++) {
        for (int nano = 0; nano < 2; nano++) {
            hdr(&im, big, nano ? MAGIC_NS : MAGIC_US, 2, 4, 256);
            rec(&im, 1700000000, 999999, 60, 1514, 60);
            rec(&im, 1700000001, 0, 0, 0, 0);       /* zero-length record: libpcap passes it on */
            rec(&im, 0x7fffffff, 1, 256, 256, 256); /* caplen == snaplen */
            assert_int_equal(pcapfile_init(&pf, im.b, im.n, 256), 0);
            assert_int_equal(pcapfile_offset(&pf), 24);

            assert_int_equal(pcapfile_next(&pf, &r), 1);
            assert_true(r.ts_ns == INT64_C(1700000000000000000) + (nano ? 999999 : 999999000));
            assert_int_equal(r.caplen, 60);
            assert_int_equal(r.len, 1514);
            assert_ptr_equal(r.data, im.b + 24 + 16);
            assert_int_equal(r.data[0], 0xab);

            assert_int_equal(pcapfile_next(&pf, &r), 1);
            assert_true(r.ts_ns == INT64_C(1700000001000000000));
            assert_int_equal(r.caplen, 0);
            assert_int_equal(r.len, 0);

            assert_int_equal(pcapfile_next(&pf, &r), 1);
            assert_true(r.ts_ns == INT64_C(0x7fffffff) * 1000000000 + (nano ? 1 : 1000));
            assert_int_equal(r.caplen, 256);
            assert_ptr_equal(r.data + 256, im.b + im.n); /* ends exactly at the end */

            assert_int_equal(pcapfile_next(&pf, &r), 0); /* clean end */
            assert_int_equal(pcapfile_offset(&pf), im.n);
            assert_int_equal(pcapfile_next(&pf, &r), 0); /* and stays there */
        }
    }
}

/* Each malformed shape after one good record: the walk returns that record,
 * then -1 with the offset of the bad one, and nothing was read past the
 * buffer (ASan would see it: the buffer is copied to one of exact size). */
static void test_malformed(void **state)
{
    static const struct {
        const char *what;
        uint32_t sec, frac, caplen, len, body;
        size_t extra; /* bytes of a record header only, when > 0 */
    } cases[] = {
        {"truncated record header (1 byte)", 0, 0, 0, 0, 0, 1},
        {"truncated record header (15 bytes)", 0, 0, 0, 0, 0, 15},
        {"caplen above the snapshot length", 1700000000, 0, 257, 257, 257, 0},
        {"caplen far above (the corrupt test's 0x7fffffff)", 1700000000, 0, 0x7fffffff, 60, 60, 0},
        {"caplen 0xffffffff", 1700000000, 0, 0xffffffffu, 60, 60, 0},
        {"caplen above the bytes left (truncated packet)", 1700000000, 0, 200, 200, 199, 0},
        {"caplen with no packet bytes at all", 1700000000, 0, 60, 60, 0, 0},
        {"seconds of 2^31 (libpcap: a negative time)", 0x80000000u, 0, 60, 60, 60, 0},
        {"fraction of 2^31", 1700000000, 0x80000000u, 60, 60, 60, 0},
    };
    (void)state;
    for (int big = 0; big < 2; big++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct pcapfile pf;
            struct pcapfile_rec r;
            struct img im;
            uint8_t *exact;
            size_t bad;

            hdr(&im, big, MAGIC_US, 2, 4, 256);
            rec(&im, 1700000000, 1, 60, 60, 60);
            bad = im.n;
            if (cases[i].extra) {
                memset(im.b + im.n, 0, cases[i].extra);
                im.n += cases[i].extra;
            } else {
                rec(&im, cases[i].sec, cases[i].frac, cases[i].caplen, cases[i].len, cases[i].body);
            }
            exact = malloc(im.n);
            assert_non_null(exact);
            memcpy(exact, im.b, im.n);
            assert_int_equal(pcapfile_init(&pf, exact, im.n, 256), 0);
            assert_int_equal(pcapfile_next(&pf, &r), 1);
            if (pcapfile_next(&pf, &r) != -1 || pcapfile_offset(&pf) != bad)
                fail_msg("%s (%s-endian)", cases[i].what, big ? "big" : "little");
            assert_int_equal(pcapfile_next(&pf, &r), -1); /* stays on it */
            free(exact);
        }
    }
}

/* Batches: full ones, then the short one with how the walk stopped. */
static void test_batch(void **state)
{
    struct pcapfile pf;
    struct pcapfile_rec r[4];
    struct img im;
    int end;

    (void)state;
    hdr(&im, 0, MAGIC_NS, 2, 4, 256);
    for (uint32_t i = 0; i < 6; i++)
        rec(&im, 1700000000, i, 10 + i, 10 + i, 10 + i);
    assert_int_equal(pcapfile_init(&pf, im.b, im.n, 256), 0);
    assert_int_equal(pcapfile_batch(&pf, r, 4, &end), 4);
    assert_int_equal(r[3].caplen, 13);
    assert_int_equal(r[3].ts_ns % 1000000000, 3);
    assert_int_equal(pcapfile_batch(&pf, r, 4, &end), 2); /* the end: 0 */
    assert_int_equal(end, 0);
    assert_int_equal(r[1].caplen, 15);
    assert_int_equal(pcapfile_batch(&pf, r, 4, &end), 0);
    assert_int_equal(end, 0);

    /* a record for libpcap after two good ones: -1, offset on it */
    hdr(&im, 0, MAGIC_US, 2, 4, 256);
    rec(&im, 1700000000, 0, 10, 10, 10);
    rec(&im, 1700000000, 1, 10, 10, 10);
    rec(&im, 1700000000, 2, 300, 300, 300); /* above the snapshot length */
    assert_int_equal(pcapfile_init(&pf, im.b, im.n, 256), 0);
    assert_int_equal(pcapfile_batch(&pf, r, 4, &end), 2);
    assert_int_equal(end, -1);
    assert_int_equal(pcapfile_offset(&pf), 24 + 2 * (16 + 10));
}

/* A file written by our test writer: the walk sees what libpcap sees. */
static void test_same_as_libpcap(void **state)
{
    char dir[] = "/tmp/test_pcapfile.XXXXXX", path[64];
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcapw_file *w;
    struct pcapw_pkt p;
    struct pcapfile pf;
    struct pcapfile_rec r;
    struct pcap_pkthdr *h;
    const u_char *data;
    pcap_t *pc;
    int fd, n = 0;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/x.pcap", dir);
    w = pcapw_open(path, PCAPW_DLT_EN10MB, 128);
    for (int i = 0; i < 50; i++) {
        pcapw_tcp_frame(&p, i % 2 ? "198.18.0.1" : "2001:db8::1", (uint16_t)(40000 + i),
                        i % 2 ? "198.18.0.2" : "2001:db8::2", 80, PCAPW_SYN, 1, 0);
        pcapw_write_pkt(w, INT64_C(1700000000000000001) + i * INT64_C(1000001), &p);
    }
    pcapw_close(&w);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    assert_non_null(pc);
    assert_int_equal(pcapfile_open(&pf, fd, (uint32_t)pcap_snapshot(pc)), 0);
    close(fd); /* the reader keeps its own descriptor */
    while (pcap_next_ex(pc, &h, &data) == 1) {
        assert_int_equal(pcapfile_next(&pf, &r), 1);
        assert_true(r.ts_ns == (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec);
        assert_int_equal(r.caplen, h->caplen);
        assert_int_equal(r.len, h->len);
        assert_memory_equal(r.data, data, h->caplen);
        n++;
    }
    assert_int_equal(n, 50);
    assert_int_equal(pcapfile_next(&pf, &r), 0);
    pcapfile_close(&pf);
    pcapfile_close(&pf); /* twice is harmless */
    assert_null(pf.buf);
    pcap_close(pc);

    /* not a regular file: libpcap's */
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_int_equal(pcapfile_open(&pf, fd, 65535), -1);
    close(fd);
    unlink(path);
    rmdir(dir);
}

/* Write n records of caplen bytes each (byte i of record k is k + i)
 * after a header of snapshot length snap, to fd; returns the file size. */
static size_t big_file(int fd, uint32_t snap, uint32_t n, uint32_t caplen)
{
    struct img im;
    size_t size;
    uint8_t *body;

    hdr(&im, 0, MAGIC_US, 2, 4, snap);
    size = im.n + (size_t)n * (16 + caplen);
    body = calloc(1, size);
    assert_non_null(body);
    memcpy(body, im.b, im.n);
    for (uint32_t k = 0; k < n; k++) {
        uint8_t *p = body + im.n + (size_t)k * (16 + caplen);
        struct img rh;

        rh.big = 0;
        rh.n = 0;
        put32(&rh, 1700000000 + k);
        put32(&rh, k);
        put32(&rh, caplen);
        put32(&rh, caplen + 4);
        memcpy(p, rh.b, 16);
        for (uint32_t i = 0; i < caplen; i++)
            p[16 + i] = (uint8_t)(k + i);
    }
    assert_int_equal(pwrite(fd, body, size, 0), (ssize_t)size);
    free(body);
    return size;
}

/* Records across the window's end, in batches and one by one: every
 * record whole, in order, with its own bytes; a record of the largest
 * snapshot length fits. */
static void test_window(void **state)
{
    char dir[] = "/tmp/test_pcapfile.XXXXXX", path[64];
    static const struct {
        uint32_t snap, n, caplen;
    } cases[] = {
        {65535, 3000, 1499}, /* ~1.5 KB records: windows of ~256 KB end mid-record */
        {262144, 9, 262144}, /* the largest records libpcap reads */
        {65535, 40000, 7},   /* many small ones: batches cut by the window */
    };
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/w.pcap", dir);
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        for (int batched = 0; batched < 2; batched++) {
            struct pcapfile pf;
            struct pcapfile_rec r[8];
            uint32_t k = 0;
            size_t size;
            int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), end = 1;

            assert_true(fd >= 0);
            size = big_file(fd, cases[c].snap, cases[c].n, cases[c].caplen);
            assert_int_equal(pcapfile_open(&pf, fd, cases[c].snap), 0);
            close(fd);
            while (end == 1) {
                size_t got;

                if (batched) {
                    got = pcapfile_batch(&pf, r, ARRAY_SIZE(r), &end);
                } else {
                    end = pcapfile_next(&pf, &r[0]);
                    got = end == 1;
                }
                for (size_t i = 0; i < got; i++, k++) {
                    assert_true(k < cases[c].n);
                    assert_int_equal(r[i].caplen, cases[c].caplen);
                    assert_int_equal(r[i].len, cases[c].caplen + 4);
                    assert_true(r[i].ts_ns == (int64_t)(1700000000 + k) * 1000000000 + k * 1000);
                    assert_int_equal(r[i].data[0], (uint8_t)k);
                    assert_int_equal(r[i].data[cases[c].caplen - 1],
                                     (uint8_t)(k + cases[c].caplen - 1));
                }
            }
            assert_int_equal(end, 0);
            assert_int_equal(k, cases[c].n);
            assert_int_equal(pcapfile_offset(&pf), size);
            pcapfile_close(&pf);
        }
    }
    unlink(path);
    rmdir(dir);
}

/* A file truncated while it is read ends where it now ends: the record
 * cut short is libpcap's (-1, the offset on it), and nothing past the new
 * end is read. */
static void test_truncated_under_us(void **state)
{
    char dir[] = "/tmp/test_pcapfile.XXXXXX", path[64];
    struct pcapfile pf;
    struct pcapfile_rec r[8];
    const uint32_t caplen = 1000, n = 2000;                     /* ~2 MB: several windows */
    const size_t cut = 24 + (size_t)1500 * (16 + caplen) + 100; /* in record 1500 */
    uint32_t k = 0;
    int fd, end = 1;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.pcap", dir);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    big_file(fd, 65535, n, caplen);
    assert_int_equal(pcapfile_open(&pf, fd, 65535), 0);
    /* the first window read, then the file loses its tail */
    assert_int_equal(pcapfile_batch(&pf, r, 1, &end), 1);
    k = 1;
    assert_int_equal(ftruncate(fd, (off_t)cut), 0);
    while (end == 1)
        k += (uint32_t)pcapfile_batch(&pf, r, ARRAY_SIZE(r), &end);
    assert_int_equal(end, -1);
    assert_int_equal(k, 1500);
    assert_int_equal(pcapfile_offset(&pf), 24 + (size_t)1500 * (16 + caplen));
    assert_int_equal(pcapfile_next(&pf, &r[0]), -1); /* stays on it */
    pcapfile_close(&pf);
    close(fd);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_same_as_libpcap),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_truncated_under_us),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
