/*
 * String → typed field text, shared by the stages that convert (kv, set,
 * convert, json's numbers). Called on worker threads for every converted
 * value: no heap allocation, and the common case (the text is already
 * canonical) returns a slice of the input without copying. Numbers are
 * scanned by hand first, so strtod only ever sees plain decimal text
 * (never hex, inf or nan) and runs only when the text must be checked for
 * overflow or rewritten. IP addresses likewise, checked by hand as
 * inet_pton reads them, without a NUL-terminated copy.
 */
#include "config.h"

#include "convert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

_Static_assert(CONVERT_IP_MAX + 1 == INET6_ADDRSTRLEN,
               "CONVERT_IP_MAX is the longest IPv6 text");

/* Decimal digits of INT64_MAX; the bound for both signs is checked apart. */
#define CONVERT_INT64_DIGITS 19
/* Above this many integer digits a double may overflow: check with strtod. */
#define CONVERT_SAFE_INT_DIGITS 300
/* Numbers shorter than this are copied to the stack for strtod. */
#define CONVERT_STACK_BYTES 64
/* Integers with at most this many digits are exact doubles that %.15g
 * writes digit for digit, so "123" → "123.0" needs no strtod/printf. */
#define CONVERT_EXACT_DIGITS 15

static const struct {
    const char *name;
    enum field_type type;
} convert_types[] = {
    {"int", FIELD_INT},       {"integer", FIELD_INT}, {"float", FIELD_FLOAT},
    {"double", FIELD_FLOAT},  {"bool", FIELD_BOOL},   {"boolean", FIELD_BOOL},
    {"string", FIELD_STRING},
};

static const struct {
    const char *text;
    bool value;
} convert_bools[] = {
    {"true", true}, {"false", false}, {"yes", true}, {"no", false},
    {"on", true},   {"off", false},   {"1", true},   {"0", false},
};

/* What the float scanner learnt about a number's text. */
struct convert_num {
    size_t int_digits; /* digits before the '.' or exponent */
    bool json;         /* valid JSON number text as it stands */
    bool frac_or_exp;  /* has a '.' or an exponent */
    bool exp;          /* has an exponent */
};

int
convert_type_parse(const char *name, enum field_type *out)
{
    for (size_t i = 0; i < sizeof(convert_types) / sizeof(convert_types[0]);
         i++) {
        if (strcmp(name, convert_types[i].name) == 0) {
            *out = convert_types[i].type;
            return 0;
        }
    }
    return -EINVAL;
}

const char *
convert_type_name(enum field_type type)
{
    switch (type) {
    case FIELD_STRING:
        return "string";
    case FIELD_INT:
        return "int";
    case FIELD_FLOAT:
        return "float";
    case FIELD_BOOL:
        return "bool";
    case FIELD_JSON:
        return "json";
    }
    return "?";
}

static bool
convert_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
convert_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* True when each of the n bytes at p is a decimal digit. */
static bool
convert_all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!convert_is_digit(p[i]))
            return false;
    }
    return true;
}

/* in without its leading and trailing blanks. */
static struct span
convert_trim(struct span in)
{
    const char *p = in.ptr;
    size_t len = in.len;
    while (len > 0 && convert_is_blank(p[0])) {
        p++;
        len--;
    }
    while (len > 0 && convert_is_blank(p[len - 1]))
        len--;
    return (struct span){p, len};
}

/* [+-]digits in the int64 range → canonical text (see convert.h). */
static int
convert_int(struct span s, struct scratch *sc, struct span *out)
{
    const char *p = s.ptr;
    size_t len = s.len;
    bool neg = false;

    if (len > 0 && (p[0] == '+' || p[0] == '-')) {
        neg = p[0] == '-';
        p++;
        len--;
    }
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (!convert_is_digit(p[i]))
            return -EINVAL;
    }
    while (len > 1 && p[0] == '0') {
        p++;
        len--;
    }
    if (len > CONVERT_INT64_DIGITS)
        return -EINVAL;
    if (len == CONVERT_INT64_DIGITS &&
        memcmp(p, neg ? "9223372036854775808" : "9223372036854775807",
               CONVERT_INT64_DIGITS) > 0)
        return -EINVAL;
    if (p[0] == '0') {
        *out = SPAN_LIT("0");
    } else if (!neg) {
        *out = (struct span){p, len};
    } else if (p > s.ptr && p[-1] == '-') {
        *out = (struct span){p - 1, len + 1};
    } else {
        char *d = scratch_alloc(sc, len + 1);
        d[0] = '-';
        memcpy(d + 1, p, len);
        *out = (struct span){d, len + 1};
    }
    return 0;
}

/* Scans the digits at *i; returns how many. */
static size_t
convert_digits(const char *p, size_t len, size_t *i)
{
    size_t start = *i;
    while (*i < len && convert_is_digit(p[*i]))
        (*i)++;
    return *i - start;
}

/*
 * Checks [+-]digits[.digits][(e|E)[+-]digits] with at least one mantissa
 * digit, and records what the caller needs to decide (struct convert_num).
 */
static int
convert_scan_float(struct span s, struct convert_num *num)
{
    const char *p = s.ptr;
    size_t len = s.len, i = 0, frac = 0;
    bool dot = false;

    num->json = true;
    if (i < len && (p[i] == '+' || p[i] == '-')) {
        num->json = p[i] == '-';
        i++;
    }
    size_t int_start = i;
    num->int_digits = convert_digits(p, len, &i);
    if (num->int_digits == 0 || (num->int_digits > 1 && p[int_start] == '0'))
        num->json = false;
    if (i < len && p[i] == '.') {
        dot = true;
        i++;
        frac = convert_digits(p, len, &i);
        if (frac == 0)
            num->json = false;
    }
    if (num->int_digits + frac == 0)
        return -EINVAL;
    num->exp = i < len && (p[i] == 'e' || p[i] == 'E');
    if (num->exp) {
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-'))
            i++;
        if (convert_digits(p, len, &i) == 0)
            return -EINVAL;
    }
    num->frac_or_exp = dot || num->exp;
    return i == len ? 0 : -EINVAL;
}

/* strtod of plain decimal text; -EINVAL unless the result is finite. */
static int
convert_strtod(struct span s, struct scratch *sc, double *d)
{
    char stack[CONVERT_STACK_BYTES];
    char *text = stack;
    char *end;

    if (s.len < sizeof(stack)) {
        memcpy(stack, s.ptr, s.len);
        stack[s.len] = '\0';
    } else {
        text = scratch_strndup(sc, s.ptr, s.len);
    }
    *d = strtod(text, &end);
    if (end != text + s.len || !isfinite(*d))
        return -EINVAL;
    return 0;
}

/*
 * [+-]digits with few enough significant digits → [-]digits".0" in the
 * scratch (what the strtod/printf path would write, only faster); false
 * when s is not such an integer.
 */
static bool
convert_float_integral(struct span s, struct scratch *sc, struct span *out)
{
    const char *p = s.ptr, *end = s.ptr + s.len;
    bool neg = p < end && *p == '-';

    if (p < end && (*p == '-' || *p == '+'))
        p++;
    while (end - p > 1 && *p == '0')
        p++;
    size_t n = (size_t)(end - p);
    if (n == 0 || n > CONVERT_EXACT_DIGITS)
        return false;
    char *d = scratch_alloc(sc, n + 3);
    size_t len = 0;
    if (neg)
        d[len++] = '-';
    memcpy(d + len, p, n);
    memcpy(d + len + n, ".0", 2);
    *out = (struct span){d, len + n + 2};
    return true;
}

/* A finite decimal number → JSON float text (see convert.h). */
static int
convert_float(struct span s, struct scratch *sc, struct span *out)
{
    struct convert_num num;
    double d;

    if (convert_scan_float(s, &num) < 0)
        return -EINVAL;
    if (!num.frac_or_exp && convert_float_integral(s, sc, out))
        return 0;
    if (num.json && num.frac_or_exp) {
        if ((num.exp || num.int_digits > CONVERT_SAFE_INT_DIGITS) &&
            convert_strtod(s, sc, &d) < 0)
            return -EINVAL;
        *out = s;
        return 0;
    }
    if (convert_strtod(s, sc, &d) < 0)
        return -EINVAL;
    char *text = scratch_alloc(sc, CONVERT_DOUBLE_MAX);
    size_t len = convert_format_double(d, text);
    if (len == 0)
        return -EINVAL;
    *out = (struct span){text, len};
    return 0;
}

static int
convert_bool(struct span s, struct span *out)
{
    for (size_t i = 0; i < sizeof(convert_bools) / sizeof(convert_bools[0]);
         i++) {
        const char *t = convert_bools[i].text;
        if (strlen(t) == s.len && strncasecmp(t, s.ptr, s.len) == 0) {
            *out =
                convert_bools[i].value ? SPAN_LIT("true") : SPAN_LIT("false");
            return 0;
        }
    }
    return -EINVAL;
}

int
convert_value(struct span in, enum field_type to, struct scratch *sc,
              struct span *out)
{
    switch (to) {
    case FIELD_STRING:
        *out = in;
        return 0;
    case FIELD_INT:
        /* 1 to 18 digits without a leading zero are their own canonical
         * text (grok's numbers, nearly always): no trim, no rescan. */
        if (in.len > 0 && in.len < CONVERT_INT64_DIGITS && in.ptr[0] >= '1' &&
            in.ptr[0] <= '9' && convert_all_digits(in.ptr + 1, in.len - 1)) {
            *out = in;
            return 0;
        }
        return convert_int(convert_trim(in), sc, out);
    case FIELD_FLOAT:
        return convert_float(convert_trim(in), sc, out);
    case FIELD_BOOL:
        return convert_bool(convert_trim(in), out);
    case FIELD_JSON:
        break;
    }
    return -EINVAL;
}

size_t
convert_format_double(double d, char *dst)
{
    if (!isfinite(d))
        return 0;
    int n = snprintf(dst, CONVERT_DOUBLE_MAX, "%.15g", d);
    if (strtod(dst, NULL) != d)
        n = snprintf(dst, CONVERT_DOUBLE_MAX, "%.17g", d);
    if (strpbrk(dst, ".e") == NULL) {
        memcpy(dst + n, ".0", 3);
        n += 2;
    }
    return (size_t)n;
}

/*
 * An IPv4 dotted quad exactly as inet_pton(AF_INET) reads one: four parts
 * of one to three digits, each at most 255, without leading zeros. By hand
 * because it runs on every access-log line, and inet_pton needs a
 * NUL-terminated copy first.
 */
static int
convert_ipv4(const char *p, size_t len)
{
    const char *end = p + len;

    /* Unrolled per part: the digit count varies per address, and a loop
     * over it mispredicted on every part (a line of the parse profile). */
    if (len < 7 || len > 15)
        return -EINVAL;
    for (int part = 0;; part++) {
        unsigned v, d;
        if (p == end || (v = (unsigned)(*p++ - '0')) > 9)
            return -EINVAL;
        if (p < end && (d = (unsigned)(*p - '0')) <= 9) {
            if (v == 0)
                return -EINVAL; /* a leading zero */
            v = v * 10 + d;
            if (++p < end && (d = (unsigned)(*p - '0')) <= 9) {
                v = v * 10 + d;
                p++;
                if (v > 255)
                    return -EINVAL;
            }
        }
        if (part == 3)
            return p == end ? 0 : -EINVAL;
        if (p == end || *p++ != '.')
            return -EINVAL;
    }
}

static bool
convert_is_hex(char c)
{
    return convert_is_digit(c) || (unsigned)((c | 0x20) - 'a') < 6;
}

/*
 * An IPv6 address exactly as inet_pton(AF_INET6) reads one: groups of one
 * to four hex digits, at most one "::" standing for at least one zero
 * group, an IPv4 tail in place of the last two groups, no zone. By hand
 * for the same reasons as convert_ipv4 (a sixth of the bench's clients are
 * IPv6: the copy and the call were a line of the parse profile).
 * check_convert compares both with inet_pton on generated text.
 */
static int
convert_ipv6(const char *p, size_t len)
{
    size_t i = 0, groups = 0, digits = 0, token = 0;
    bool gap = false;

    if (len > 0 && p[0] == ':') {
        if (len < 2 || p[1] != ':')
            return -EINVAL; /* one leading colon */
        i = token = 1;      /* the second one opens the gap */
    }
    for (; i < len; i++) {
        char c = p[i];
        if (convert_is_hex(c)) {
            if (digits++ == 4)
                return -EINVAL;
            continue;
        }
        if (c == ':') {
            token = i + 1;
            if (digits == 0) {
                if (gap)
                    return -EINVAL;
                gap = true;
                continue;
            }
            if (i + 1 == len || groups == 8)
                return -EINVAL; /* a trailing colon, or too many groups */
            groups++;
            digits = 0;
            continue;
        }
        /* The current token read as IPv4 fills two groups. */
        if (c == '.' && groups <= 6 &&
            convert_ipv4(p + token, len - token) == 0) {
            groups += 2;
            digits = 0;
            break;
        }
        return -EINVAL;
    }
    if (digits > 0 && groups++ == 8)
        return -EINVAL;
    return gap ? (groups < 8 ? 0 : -EINVAL) : (groups == 8 ? 0 : -EINVAL);
}

int
convert_ip(struct span in)
{
    if (convert_ipv4(in.ptr, in.len) == 0)
        return 0;
    /* Every IPv6 text is 2..45 bytes; host names and "-" fail at once. */
    if (in.len > CONVERT_IP_MAX)
        return -EINVAL;
    return convert_ipv6(in.ptr, in.len);
}
