/*
 * test_arena.c: the bump allocator (common/arena.c): alignment, block
 * chaining, big requests, reset and release.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/arena.h"
#include "common/arena_int.h"
#include "common/compat.h"

static void test_arena_alignment(void **state)
{
    /* Sizes asked in turn; every pointer must be aligned for any type and
     * not overlap the one before. */
    static const size_t sizes[] = {
        1,    /* smallest */
        0,    /* zero still gets distinct memory */
        3,    /* odd */
        16,   /* exactly the alignment */
        17,   /* one past */
        1000, /* larger than a quarter of a 2 KiB block: own block */
        7,    /* small again, after a big one */
    };
    struct arena a;
    char *prev = NULL;
    size_t prev_size = 0;

    (void)state;
    arena_init(&a, 2048);
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        char *p = arena_alloc(&a, sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % sizeof(max_align_t), 0);
        memset(p, (int)i, sizes[i]); /* ASan checks the size is really ours */
        if (prev)
            assert_true(p >= prev + prev_size || p + sizes[i] <= prev);
        prev = p;
        prev_size = sizes[i];
    }
    arena_release(&a);
}

static void test_arena_many(void **state)
{
    struct arena a;
    char *p[2000];
    size_t n, total;

    (void)state;
    arena_init(&a, 1024);
    for (size_t i = 0; i < ARRAY_SIZE(p); i++) {
        p[i] = arena_alloc(&a, 24);
        memset(p[i], (int)(i & 0xff), 24);
    }
    /* Earlier allocations are untouched by later ones. */
    for (size_t i = 0; i < ARRAY_SIZE(p); i++)
        for (size_t k = 0; k < 24; k++)
            assert_int_equal((unsigned char)p[i][k], i & 0xff);
    /* 2000 x 32 bytes (24 rounded up) in 1 KiB blocks. */
    assert_int_equal(a.used, 2000 * 32);
    n = arena_blocks(&a, &total);
    assert_int_equal(n, (2000 * 32 + 1023) / 1024);
    arena_release(&a);
    assert_null(a.head);
    assert_int_equal(a.used, 0);
}

static void test_arena_reset_keeps_normal_block(void **state)
{
    struct arena a;
    size_t n, total;
    char *p;

    (void)state;
    arena_init(&a, 1024);
    (void)arena_alloc(&a, 16);   /* block A (normal) */
    (void)arena_alloc(&a, 4096); /* big block B, chained behind A */
    for (int i = 0; i < 100; i++)
        (void)arena_alloc(&a, 64); /* fill A, then C, ... */
    n = arena_blocks(&a, &total);
    assert_true(n >= 3);
    /* Reset keeps one block of the normal size, not the big one. */
    arena_reset(&a);
    n = arena_blocks(&a, &total);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1024);
    assert_int_equal(a.used, 0);
    p = arena_alloc(&a, 100);
    memset(p, 1, 100);
    assert_int_equal(arena_blocks(&a, &total), 1); /* reused, not a new block */
    arena_release(&a);

    /* When the first request is big, there is no normal block to keep. */
    arena_init(&a, 1024);
    (void)arena_alloc(&a, 100000);
    arena_reset(&a);
    assert_int_equal(arena_blocks(&a, &total), 0);
    p = arena_alloc(&a, 8);
    memset(p, 1, 8);
    arena_release(&a);

    /* Reset of an arena that never allocated. */
    arena_init(&a, 0);
    arena_reset(&a);
    assert_null(a.head);
    assert_int_equal(a.block_size, 64 * 1024); /* 0 means 64 KiB */
    arena_release(&a);
}

static void test_arena_strings(void **state)
{
    struct arena a;
    char *s, *t;
    int *z;

    (void)state;
    arena_init(&a, 0);
    s = arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    t = arena_memdupz(&a, "abc\0def", 7); /* NULs inside are copied */
    assert_memory_equal(t, "abc\0def", 8);
    t = arena_memdupz(&a, "xyz", 0);
    assert_string_equal(t, "");
    z = arena_calloc(&a, 100, sizeof(*z));
    for (int i = 0; i < 100; i++)
        assert_int_equal(z[i], 0);
    z = arena_calloc(&a, 0, 8); /* zero elements: still a valid pointer */
    assert_non_null(z);
    arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_many),
        cmocka_unit_test(test_arena_reset_keeps_normal_block),
        cmocka_unit_test(test_arena_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
