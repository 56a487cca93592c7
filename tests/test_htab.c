/*
 * test_htab.c: the hash function (common/hash.c) and the open-addressing
 * index (common/htab.c): against a plain array as the model, with hashes
 * chosen to collide, to wrap round the end of the slots and to shift back
 * on removal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/hash.h"
#include "common/htab.h"
#include "common/compat.h"

/* --- hash ------------------------------------------------------------------ */

static void test_hash_bytes_inputs(void **state)
{
    /* Pairs that must hash apart: one byte, one length, one seed apart. */
    static const struct {
        const char *a;
        size_t alen;
        uint64_t aseed;
        const char *b;
        size_t blen;
        uint64_t bseed;
    } apart[] = {
        {"", 0, 0, "", 0, 1},                                   /* seed, empty input */
        {"a", 1, 0, "a\0", 2, 0},                               /* zero padding of the tail */
        {"abcdefgh", 8, 0, "abcdefgh\0", 9, 0},                 /* a word, then a zero tail */
        {"abcdefgh", 8, 0, "abcdefgi", 8, 0},                   /* last byte of a word */
        {"abcdefghijklmnop", 16, 0, "bbcdefghijklmnop", 16, 0}, /* first byte */
        {"ab", 2, 7, "ab", 2, 8},                               /* seed */
    };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_SIZE(apart); i++) {
        assert_true(hash_bytes(apart[i].a, apart[i].alen, apart[i].aseed) !=
                    hash_bytes(apart[i].b, apart[i].blen, apart[i].bseed));
        /* ... and each is a function of its input. */
        assert_true(hash_bytes(apart[i].a, apart[i].alen, apart[i].aseed) ==
                    hash_bytes(apart[i].a, apart[i].alen, apart[i].aseed));
    }
    assert_true(hash_str("tier", 3) == hash_bytes("tier", 4, 3));
    assert_true(hash_bytes(NULL, 0, 5) == hash_bytes("", 0, 5));
    /* Chained strings: {"ab", ""} and {"a", "b"} differ. */
    assert_true(hash_str("", hash_str("ab", 0)) != hash_str("b", hash_str("a", 0)));
}

/* Flipping any one input bit flips about half the output bits (every
 * input bit reaches every output bit): the average over all flips of a
 * 24-byte input stays within 28..36 of 64, and no flip leaves the low 16
 * bits (a table's slot) all unchanged. */
static void test_hash_avalanche(void **state)
{
    unsigned char in[24];
    uint64_t base, total = 0;
    size_t bit, flips = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 37 + 1);
    base = hash_bytes(in, sizeof(in), 0);
    for (bit = 0; bit < sizeof(in) * 8; bit++) {
        uint64_t h;

        in[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        h = hash_bytes(in, sizeof(in), 0);
        in[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        total += (uint64_t)__builtin_popcountll(h ^ base);
        assert_true(((h ^ base) & 0xffff) != 0);
        flips++;
    }
    assert_in_range(total / flips, 28, 36);
    /* hash_u64: the same of one word. */
    total = 0;
    for (bit = 0; bit < 64; bit++)
        total += (uint64_t)__builtin_popcountll(hash_u64(1000, 0) ^
                                                hash_u64(1000 ^ ((uint64_t)1 << bit), 0));
    assert_in_range(total / 64, 28, 36);
}

/* Consecutive numbers (ports, ids, addresses in one subnet) spread over a
 * table's slots: 65536 of them into 4096 buckets by the low bits, no
 * bucket above 3 times the mean. */
static void test_hash_low_bits_spread(void **state)
{
    static uint32_t bucket[4096];
    uint32_t max = 0;

    (void)state;
    memset(bucket, 0, sizeof(bucket));
    for (uint32_t x = 0; x < 65536; x++) {
        uint8_t addr[4] = {10, 0, (uint8_t)(x >> 8), (uint8_t)x};
        uint32_t b = (uint32_t)hash_bytes(addr, sizeof(addr), 0) & 4095;

        if (++bucket[b] > max)
            max = bucket[b];
    }
    assert_true(max <= 3 * 16);
    memset(bucket, 0, sizeof(bucket));
    max = 0;
    for (uint32_t x = 0; x < 65536; x++) {
        uint32_t b = (uint32_t)hash_u64(x, 0) & 4095;

        if (++bucket[b] > max)
            max = bucket[b];
    }
    assert_true(max <= 3 * 16);
}

/* --- table -------------------------------------------------------------- */

/* The model: entry number -> (present, hash). */
#define MODEL_N 3000

struct model {
    uint64_t hash[MODEL_N];
    uint8_t in[MODEL_N];
    size_t n;
};

/* Every entry number stored under hash, as a bit set over the model. */
static void lookup_all(const struct htab *t, uint64_t hash, uint8_t *seen)
{
    struct htab_iter it;
    uint32_t v;

    memset(seen, 0, MODEL_N);
    for (v = htab_first(t, hash, &it); v != HTAB_NONE; v = htab_next(t, &it)) {
        assert_true(v < MODEL_N);
        assert_int_equal(seen[v], 0); /* each entry once */
        seen[v] = 1;
    }
}

/* The table holds exactly the model's entries, each found under its hash
 * (with those whose 32-bit hash is equal, and no other). */
static void check_model(const struct htab *t, const struct model *m)
{
    static uint8_t seen[MODEL_N];
    size_t held = 0;

    assert_int_equal(t->n, m->n);
    for (size_t k = 0; k < MODEL_N; k++) {
        if (!m->in[k])
            continue;
        lookup_all(t, m->hash[k], seen);
        for (size_t j = 0; j < MODEL_N; j++)
            assert_int_equal(seen[j], m->in[j] && (uint32_t)m->hash[j] == (uint32_t)m->hash[k]);
    }
    for (size_t i = 0; t->mask && i <= t->mask; i++)
        held += t->slot[i].val != HTAB_NONE;
    assert_int_equal(held, m->n);
    assert_true(m->n * 2 <= t->mask + 1); /* at most half full */
}

static uint64_t rng(uint64_t *x)
{
    *x += 0x9e3779b97f4a7c15ULL; /* splitmix64 */
    return hash_fmix64(*x);
}

/* Random adds and removes checked against the model after each step;
 * each case draws hashes from a different set. */
static void test_htab_model(void **state)
{
    static const struct {
        const char *what;
        uint64_t hash_mask; /* hashes are random & this */
        uint64_t hash_or;
    } cases[] = {
        {"random hashes", UINT64_MAX, 0},
        {"7 distinct hashes: long runs of equal hashes", 7, 0},
        {"hashes apart only above bit 31 (the table keeps 32)", 0xffffffff000000ffULL, 0},
        {"hashes at the top of the slots: runs wrap round to slot 0", 0x3, 0xfffffffcULL},
        {"64 hashes over the low bits: runs meet and merge", 63, 0},
    };
    static struct model m;

    (void)state;
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        struct htab t;
        uint64_t x = c + 1;

        print_message("  %s\n", cases[c].what);
        htab_init(&t);
        memset(&m, 0, sizeof(m));
        check_model(&t, &m);
        for (int step = 0; step < 6000; step++) {
            uint32_t k = (uint32_t)(rng(&x) % MODEL_N);

            if (!m.in[k]) {
                m.hash[k] = (rng(&x) & cases[c].hash_mask) | cases[c].hash_or;
                htab_add(&t, m.hash[k], k);
                m.in[k] = 1;
                m.n++;
            } else if (rng(&x) % 3 == 0) {
                assert_int_equal(htab_remove(&t, m.hash[k], k), 1);
                assert_int_equal(htab_remove(&t, m.hash[k], k), 0); /* gone */
                m.in[k] = 0;
                m.n--;
            }
            if (step % 97 == 0 || step > 5900)
                check_model(&t, &m);
        }
        check_model(&t, &m);
        htab_release(&t);
        assert_int_equal(t.n, 0);
    }
}

/* An empty table: lookups end at once, removal finds nothing, release is
 * harmless; reserve sizes once, and the next entry grows the table. */
static void test_htab_empty_reserve(void **state)
{
    struct htab t;
    struct htab_iter it;
    const struct htab_slot *slots;

    (void)state;
    htab_init(&t);
    assert_int_equal(htab_first(&t, 42, &it), HTAB_NONE);
    assert_int_equal(htab_remove(&t, 42, 0), 0);
    htab_release(&t);
    htab_release(&t);

    htab_reserve(&t, 1024);
    assert_int_equal(t.mask + 1, 2048);
    slots = t.slot;
    for (uint32_t i = 0; i < 1024; i++)
        htab_add(&t, hash_u64(i, 0), i);
    assert_ptr_equal(t.slot, slots); /* reserved: never grew */
    assert_int_equal(htab_first(&t, hash_u64(999, 0), &it), 999);
    htab_add(&t, hash_u64(1024, 0), 1024);
    assert_int_equal(t.mask + 1, 4096); /* the 1025th doubled it */
    for (uint32_t i = 0; i <= 1024; i++)
        assert_int_equal(htab_first(&t, hash_u64(i, 0), &it), i);
    htab_release(&t);
}

/* The same entry number may be stored under two hashes (the table never
 * looks at keys); removing one leaves the other. */
static void test_htab_same_value_two_hashes(void **state)
{
    struct htab t;
    struct htab_iter it;

    (void)state;
    htab_init(&t);
    htab_add(&t, 1, 7);
    htab_add(&t, 17, 7); /* the same home slot in 16 slots */
    assert_int_equal(htab_remove(&t, 1, 7), 1);
    assert_int_equal(htab_first(&t, 1, &it), HTAB_NONE);
    assert_int_equal(htab_first(&t, 17, &it), 7);
    htab_release(&t);
}

static int eq_target(const void *ctx, uint32_t val)
{
    return val == *(const uint32_t *)ctx;
}

/* htab_find() finds what the iterator finds; htab_peek() gives the first
 * entry of the hash within its bound, and nothing past it. */
static void test_htab_find_peek(void **state)
{
    struct htab t;
    struct htab_iter it;
    uint32_t want;

    (void)state;
    htab_init(&t);
    want = 3;
    assert_int_equal(htab_find(&t, 7, eq_target, &want), HTAB_NONE); /* empty */
    assert_int_equal(htab_peek(&t, 7, 4), HTAB_NONE);
    /* five entries in one run from slot 7 of 16: hashes 7, 7, 23, 7, 39 */
    htab_add(&t, 7, 0);
    htab_add(&t, 7, 1);
    htab_add(&t, 23, 2);
    htab_add(&t, 7, 3);
    htab_add(&t, 39, 4);
    assert_int_equal(t.mask, 15);
    for (want = 0; want < 5; want++) {
        uint64_t h = want == 2 ? 23 : want == 4 ? 39 : 7;
        uint32_t v;

        assert_int_equal(htab_find(&t, h, eq_target, &want), want);
        for (v = htab_first(&t, h, &it); v != HTAB_NONE && v != want; v = htab_next(&t, &it))
            ;
        assert_int_equal(v, want); /* the iterator agrees */
    }
    want = 9;
    assert_int_equal(htab_find(&t, 7, eq_target, &want), HTAB_NONE); /* no such entry */
    assert_int_equal(htab_peek(&t, 7, 4), 0);                        /* the first of the hash */
    assert_int_equal(htab_peek(&t, 23, 2), HTAB_NONE);               /* in the third slot: past 2 */
    assert_int_equal(htab_peek(&t, 23, 3), 2);
    assert_int_equal(htab_peek(&t, 39, 8), 4);
    assert_int_equal(htab_peek(&t, 8, 8), HTAB_NONE); /* run ends at the empty slot 12 */
    htab_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_bytes_inputs),
        cmocka_unit_test(test_hash_avalanche),
        cmocka_unit_test(test_hash_low_bits_spread),
        cmocka_unit_test(test_htab_model),
        cmocka_unit_test(test_htab_empty_reserve),
        cmocka_unit_test(test_htab_same_value_two_hashes),
        cmocka_unit_test(test_htab_find_peek),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
