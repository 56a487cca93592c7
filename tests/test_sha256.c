/*
 * test_sha256.c: SHA-256 against the FIPS 180-2 appendix examples (and the
 * million-'a' message fed in odd pieces), HMAC-SHA256 against RFC 4231's
 * test cases 1, 2, 3 and 6 (short key, "Jefe", 0xaa key with 0xdd data,
 * a 131-byte key hashed first).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "common/sha256.h"
#include "common/compat.h"

static void hex(const uint8_t *d, char *out)
{
    for (int i = 0; i < SHA256_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha256(void **state)
{
    static const struct {
        const char *msg;
        const char *digest;
    } cases[] = {
        /* FIPS 180-2 B.1: one block */
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        /* FIPS 180-2 B.2: two blocks */
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        /* the empty message */
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    };
    uint8_t d[SHA256_LEN];
    char h[2 * SHA256_LEN + 1];
    struct sha256 s;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        sha256_init(&s);
        sha256_update(&s, cases[i].msg, strlen(cases[i].msg));
        sha256_final(&s, d);
        hex(d, h);
        assert_string_equal(h, cases[i].digest);
    }
    /* FIPS 180-2 B.3: a million 'a', in pieces of 7 (never block-aligned) */
    {
        char a[7];

        memset(a, 'a', sizeof(a));
        sha256_init(&s);
        for (int n = 0; n < 1000000; n += 7)
            sha256_update(&s, a, 1000000 - n < 7 ? (size_t)(1000000 - n) : 7);
        sha256_final(&s, d);
        hex(d, h);
        assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
}

static void test_hmac(void **state)
{
    uint8_t key[131], data[50], d[SHA256_LEN];
    char h[2 * SHA256_LEN + 1];

    (void)state;
    /* RFC 4231 4.2, test case 1 */
    memset(key, 0x0b, 20);
    hmac_sha256(key, 20, "Hi There", 8, d);
    hex(d, h);
    assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* test case 2: a key shorter than the output */
    hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, d);
    hex(d, h);
    assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* test case 3: 0xaa key, 0xdd data */
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    hmac_sha256(key, 20, data, 50, d);
    hex(d, h);
    assert_string_equal(h, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    /* test case 6: a key longer than a block is hashed first */
    memset(key, 0xaa, 131);
    hmac_sha256(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
    hex(d, h);
    assert_string_equal(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_hmac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
