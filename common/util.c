/*
 * util.c: checked number parsing and RFC 3339 times.
 */
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/compat.h"

int parse_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (len == 0)
        return ERR_PARSE;
    for (i = 0; i < len; i++) {
        unsigned d;

        if (s[i] < '0' || s[i] > '9')
            return ERR_PARSE;
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return ERR_LIMIT;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return ERR_LIMIT;
    *out = v;
    return 0;
}

int parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    uint64_t mag;
    int neg = 0;
    int rc;

    if (len && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        len--;
    }
    rc = parse_u64(s, len, 0, (uint64_t)INT64_MAX + (neg ? 1 : 0), &mag);
    if (rc)
        return rc;
    {
        int64_t v =
            neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
        if (v < min || v > max)
            return ERR_LIMIT;
        *out = v;
    }
    return 0;
}

int parse_double(const char *s, size_t len, double *out)
{
    char tmp[64];
    char *end;
    double v;
    size_t i;

    if (len == 0 || len >= sizeof(tmp))
        return ERR_PARSE;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return ERR_PARSE;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    v = strtod(tmp, &end);
    if (end != tmp + len)
        return ERR_PARSE;
    /* 1e999: a number, but not one a double holds (nor does 1e-999). */
    if (errno == ERANGE || !isfinite(v))
        return ERR_LIMIT;
    *out = v;
    return 0;
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_PARSE;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days in month M (1..12) of year Y, proleptic Gregorian: timegm() would
 * silently turn "02-31" into March 2nd, which Go's time.Parse refuses. */
static int days_in_month(int Y, int M)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (M == 2 && (Y % 4 == 0 && (Y % 100 != 0 || Y % 400 == 0)))
        return 29;
    return days[M - 1];
}

int parse_rfc3339(const char *s, size_t len, int64_t *out_ns)
{
    int Y, M, D, h, m, sec;
    int64_t frac = 0;
    int64_t off = 0;
    size_t i = 19;
    struct tm tm;
    time_t t;

    /* YYYY-MM-DDTHH:MM:SS */
    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return ERR_PARSE;
    if (digits(s, 4, &Y) || digits(s + 5, 2, &M) || digits(s + 8, 2, &D) || digits(s + 11, 2, &h) ||
        digits(s + 14, 2, &m) || digits(s + 17, 2, &sec))
        return ERR_PARSE;
    if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || m > 59 || sec > 60)
        return ERR_PARSE;
    if (s[i] == '.') {
        int64_t scale = 100000000;
        i++;
        if (i >= len || s[i] < '0' || s[i] > '9')
            return ERR_PARSE;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            frac += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
    }
    if (i >= len)
        return ERR_PARSE;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        int oh, om;
        if (len - i != 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) ||
            digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return ERR_PARSE;
        off = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return ERR_PARSE;
    }
    if (i != len)
        return ERR_PARSE;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    t = timegm(&tm);
    /* Unix ns in int64_t span 1677-09-21 to 2262-04-11; a time outside
     * that is refused, not wrapped. */
    {
        int64_t secs = (int64_t)t - off;
        int64_t ns;
        /* Borrow a second before multiplying, so that the earliest
         * representable times (negative seconds plus a fraction) do not
         * overflow on the way. */
        if (secs < 0 && frac > 0) {
            secs += 1;
            frac -= 1000000000;
        }
        if (__builtin_mul_overflow(secs, (int64_t)1000000000, &ns) ||
            __builtin_add_overflow(ns, frac, &ns))
            return ERR_LIMIT;
        *out_ns = ns;
    }
    return 0;
}

int parse_time_arg(const char *s, int64_t *out_ns)
{
    size_t len = strlen(s);
    const char *dot = memchr(s, '.', len);
    size_t ilen = dot ? (size_t)(dot - s) : len;
    uint64_t secs;
    double v;

    if (parse_rfc3339(s, len, out_ns) == 0)
        return 0;
    /* seconds [ "." digits ]: exact, since a double holds only ~16
     * significant digits and ns since 1970 need 19. */
    if (parse_u64(s, ilen, 0, INT64_MAX / 1000000000 - 1, &secs) == 0 &&
        (!dot || (ilen + 1 < len && strspn(dot + 1, "0123456789") == len - ilen - 1))) {
        int64_t frac = 0, scale = 100000000;

        for (size_t i = ilen + 1; dot && i < len; i++) {
            frac += (s[i] - '0') * scale;
            scale /= 10;
        }
        *out_ns = (int64_t)secs * 1000000000 + frac;
        return 0;
    }
    if (parse_double(s, len, &v) == 0 && v >= 0 && v < 9.2e9) {
        *out_ns = (int64_t)(v * 1e9);
        return 0;
    }
    return ERR_PARSE;
}

/* 10000-01-01T00:00:00Z: the years rfc3339_fast() writes end before. */
#define RFC3339_FAST_END 253402300800LL

/* Two digits of v (0..99) at p. */
static void put2(char *p, int64_t v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/*
 * format_rfc3339() of a second from 1970 to 9999 and its microseconds, into
 * 28 bytes of buf, without gmtime_r() and snprintf(), a tenth of their
 * cost (a JSON record per flow writes two).  The date by Howard Hinnant's
 * civil_from_days() (https://howardhinnant.github.io/date_algorithms.html),
 * in its range for days >= 0.
 */
static void rfc3339_fast(int64_t sec, long us, char *buf)
{
    int64_t days = sec / 86400, s = sec % 86400;
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);

    put2(buf, y / 100);
    put2(buf + 2, y % 100);
    buf[4] = '-';
    put2(buf + 5, m);
    buf[7] = '-';
    put2(buf + 8, d);
    buf[10] = 'T';
    put2(buf + 11, s / 3600);
    buf[13] = ':';
    put2(buf + 14, s / 60 % 60);
    buf[16] = ':';
    put2(buf + 17, s % 60);
    buf[19] = '.';
    for (int i = 25; i >= 20; i--, us /= 10)
        buf[i] = (char)('0' + us % 10);
    buf[26] = 'Z';
    buf[27] = '\0';
}

void format_rfc3339(int64_t ns, char *buf, size_t size)
{
    /* Floor division, so that times before 1970 print the second they fall
     * in (-1 ns is 23:59:59.999999, not 00:00:00.000000). */
    int64_t sec = ns / 1000000000;
    int64_t rem = ns % 1000000000;
    time_t t;
    long us;
    struct tm tm;

    if (rem < 0) {
        sec -= 1;
        rem += 1000000000;
    }
    t = (time_t)sec;
    us = (long)(rem / 1000);
    if (sec >= 0 && sec < RFC3339_FAST_END && size > 27) {
        rfc3339_fast(sec, us, buf);
        return;
    }
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, size, "%lld", (long long)ns);
        return;
    }
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t coarse_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Eight bytes at p, all printable ASCII (0x20..0x7e), which term_safe()
 * leaves as they are.  Word tricks (Bit Twiddling Hacks, "Determine if a
 * word has a byte less than n"): a byte below 0x20 borrows its high bit
 * in w - 0x20..; a byte of 0x7f or more has its high bit set in w + 1.. or
 * in w (a carry comes only out of 0xff, itself caught).  A false alarm
 * only sends the bytes to the byte loop. */
static int printable8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t w;

    memcpy(&w, p, 8);
    return (((w - 0x20 * ones) & ~w) | (w + ones) | w) & highs ? 0 : 1;
}

void term_safe(char *s, size_t len)
{
    unsigned char *p = (unsigned char *)s;

    for (size_t i = 0; i < len; i++) {
        /* Output is mostly printable ASCII: skip it a word at a time. */
        while (len - i >= 8 && printable8(p + i))
            i += 8;
        if (i == len)
            break;
        if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f) {
            p[i] = '?';
        } else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
            p[i] = '?';
            p[i + 1] = '?';
            i++;
        } else if (p[i] >= 0x80 && p[i] <= 0x9f && (i == 0 || p[i - 1] < 0x80)) {
            p[i] = '?';
        }
    }
}

int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t utf8_len(const unsigned char *s, size_t len)
{
    unsigned char c, lo = 0x80, hi = 0xbf;
    size_t need;

    if (!len)
        return 0;
    c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (len < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if (s[i] < lo || s[i] > hi)
            return 0;
        lo = 0x80;
        hi = 0xbf;
    }
    return need;
}
