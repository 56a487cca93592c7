/*
 * banned.h: functions that are too easy to misuse, turned into compile
 * errors (after git's banned.h).  Included last by common/compat.h, which
 * every .c file includes.
 *
 * strcpy/strcat/sprintf: no bound; use snprintf or struct buf.
 * strtok: hidden state; use strtok_r or explicit scanning.
 * gmtime/localtime: static storage; use the _r forms.
 * atoi: no error detection; use parse_u64() (common/util.h).
 */
#ifndef PODFLOW_BANNED_H
#define PODFLOW_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)

#endif
