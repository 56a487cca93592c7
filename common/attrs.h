/*
 * attrs.h: the compiler attributes podflow uses, by name.  Headers include
 * it for the attributes on their prototypes; it declares nothing else, so
 * it may come anywhere among a file's includes (compat.h, which must come
 * last, includes it too).
 */
#ifndef PODFLOW_ATTRS_H
#define PODFLOW_ATTRS_H

/* A result the caller must look at (an error code, an owned pointer). */
#define MUST_CHECK __attribute__((warn_unused_result))
/* printf-style format string at argument f, its arguments from a (0: a va_list). */
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN          __attribute__((noreturn))
#define UNUSED            __attribute__((unused))

#endif
