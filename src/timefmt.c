/*
 * Time formats: a spec is compiled into a short list of ops (literal,
 * blanks, number, name, offset...) that timefmt_parse() runs over the
 * input with no allocation; the special specs (ISO 8601, epochs) have
 * hand-written parsers. Fields go into a struct timefmt_tm on the stack,
 * then one function checks ranges, fills a missing year, and turns the
 * local time into UTC nanoseconds with our own calendar arithmetic. No TZ,
 * no strptime/mktime, no global state: formats are shared by all workers.
 */
#include "config.h"

#include "timefmt.h"

#include "timefmt_int.h"
#include "xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TIMEFMT_MAX_FRAC_DIGITS  9
#define TIMEFMT_MAX_EPOCH_DIGITS 19
#define TIMEFMT_LEAP_NSEC        999999999 /* :60 reads as :59.999999999 */
#define TIMEFMT_SYSLOG_SPEC      "%b %e %H:%M:%S"

enum timefmt_kind {
    TIMEFMT_SPEC,
    TIMEFMT_ISO8601,
    TIMEFMT_UNIX,
    TIMEFMT_UNIX_MS,
    TIMEFMT_UNIX_US,
    TIMEFMT_UNIX_NS,
};

enum timefmt_opcode {
    TF_LITERAL,
    TF_BLANKS,
    TF_NUMBER,
    TF_FRACTION,
    TF_MONTH_NAME,
    TF_WEEKDAY,
    TF_AMPM,
    TF_OFFSET,
    TF_ZONE_NAME,
    TF_EPOCH,
};

/* The numeric fields of struct timefmt_tm. */
enum timefmt_field {
    TF_YEAR,
    TF_YEAR2,
    TF_MON,
    TF_DAY,
    TF_YDAY,
    TF_HOUR,
    TF_HOUR12,
    TF_MIN,
    TF_SEC,
    TF_NFIELDS,
};

/* What a spec provides, to check it at compile time. */
enum timefmt_have {
    TF_HAVE_YEAR = 1u << 0,
    TF_HAVE_YEAR2 = 1u << 1,
    TF_HAVE_MONTH = 1u << 2,
    TF_HAVE_DAY = 1u << 3,
    TF_HAVE_YDAY = 1u << 4,
    TF_HAVE_HOUR12 = 1u << 5,
    TF_HAVE_AMPM = 1u << 6,
    TF_HAVE_EPOCH = 1u << 7,
};

struct timefmt_op {
    uint8_t code;  /* enum timefmt_opcode */
    uint8_t field; /* TF_NUMBER: enum timefmt_field */
    uint8_t max;   /* TF_NUMBER: most digits (min is max for %Y, else 1) */
    bool pad;      /* TF_NUMBER: a leading space may stand for a digit */
    uint32_t at;   /* TF_LITERAL: offset in lits */
    uint32_t len;  /* TF_LITERAL */
};

struct timefmt {
    enum timefmt_kind kind;
    unsigned have;          /* enum timefmt_have */
    struct timefmt_op *ops; /* owned */
    size_t nops;
    char *lits; /* owned: the literal bytes of the spec */
    size_t lits_len;
};

/* What one parse has read. */
struct timefmt_tm {
    int num[TF_NFIELDS];
    int32_t nsec;
    int32_t off; /* seconds east of UTC, when has_off */
    bool has_off;
    bool pm;
    bool neg; /* %s was negative */
    int64_t epoch;
};

struct timefmt_directive {
    char c;
    uint8_t code, field, max;
    bool pad;
    unsigned have;
};

static const struct timefmt_directive timefmt_directives[] = {
    {'Y', TF_NUMBER, TF_YEAR, 4, false, TF_HAVE_YEAR},
    {'y', TF_NUMBER, TF_YEAR2, 2, false, TF_HAVE_YEAR2},
    {'m', TF_NUMBER, TF_MON, 2, false, TF_HAVE_MONTH},
    {'d', TF_NUMBER, TF_DAY, 2, false, TF_HAVE_DAY},
    {'e', TF_NUMBER, TF_DAY, 2, true, TF_HAVE_DAY},
    {'j', TF_NUMBER, TF_YDAY, 3, false, TF_HAVE_YDAY},
    {'H', TF_NUMBER, TF_HOUR, 2, false, 0},
    {'k', TF_NUMBER, TF_HOUR, 2, true, 0},
    {'I', TF_NUMBER, TF_HOUR12, 2, false, TF_HAVE_HOUR12},
    {'l', TF_NUMBER, TF_HOUR12, 2, true, TF_HAVE_HOUR12},
    {'M', TF_NUMBER, TF_MIN, 2, false, 0},
    {'S', TF_NUMBER, TF_SEC, 2, false, 0},
    {'f', TF_FRACTION, 0, 0, false, 0},
    {'b', TF_MONTH_NAME, 0, 0, false, TF_HAVE_MONTH},
    {'h', TF_MONTH_NAME, 0, 0, false, TF_HAVE_MONTH},
    {'B', TF_MONTH_NAME, 0, 0, false, TF_HAVE_MONTH},
    {'a', TF_WEEKDAY, 0, 0, false, 0},
    {'A', TF_WEEKDAY, 0, 0, false, 0},
    {'p', TF_AMPM, 0, 0, false, TF_HAVE_AMPM},
    {'z', TF_OFFSET, 0, 0, false, 0},
    {'Z', TF_ZONE_NAME, 0, 0, false, 0},
    {'s', TF_EPOCH, 0, 0, false, TF_HAVE_EPOCH},
};

/* English names, lower case: the first three letters packed, and length. */
struct timefmt_name {
    uint32_t key;
    const char *text;
    size_t len;
};

#define TIMEFMT_KEY(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (c))
#define TIMEFMT_NAME(a, b, c, s)                                               \
    {                                                                          \
        TIMEFMT_KEY(a, b, c), s, sizeof(s) - 1                                 \
    }
static const struct timefmt_name timefmt_months[12] = {
    TIMEFMT_NAME('j', 'a', 'n', "january"),
    TIMEFMT_NAME('f', 'e', 'b', "february"),
    TIMEFMT_NAME('m', 'a', 'r', "march"),
    TIMEFMT_NAME('a', 'p', 'r', "april"),
    TIMEFMT_NAME('m', 'a', 'y', "may"),
    TIMEFMT_NAME('j', 'u', 'n', "june"),
    TIMEFMT_NAME('j', 'u', 'l', "july"),
    TIMEFMT_NAME('a', 'u', 'g', "august"),
    TIMEFMT_NAME('s', 'e', 'p', "september"),
    TIMEFMT_NAME('o', 'c', 't', "october"),
    TIMEFMT_NAME('n', 'o', 'v', "november"),
    TIMEFMT_NAME('d', 'e', 'c', "december")};
static const struct timefmt_name timefmt_weekdays[7] = {
    TIMEFMT_NAME('s', 'u', 'n', "sunday"),
    TIMEFMT_NAME('m', 'o', 'n', "monday"),
    TIMEFMT_NAME('t', 'u', 'e', "tuesday"),
    TIMEFMT_NAME('w', 'e', 'd', "wednesday"),
    TIMEFMT_NAME('t', 'h', 'u', "thursday"),
    TIMEFMT_NAME('f', 'r', 'i', "friday"),
    TIMEFMT_NAME('s', 'a', 't', "saturday")};

/* ---- input scanners: each returns the end of what it read, or NULL ---- */

static inline bool
timefmt_isdigit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline char
timefmt_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

/* Reads min..max digits into *out. */
static inline const char *
timefmt_digits(const char *p, const char *end, int min, int max, int *out)
{
    if (max == 2 && end - p >= 2 && timefmt_isdigit(p[0]) &&
        timefmt_isdigit(p[1])) { /* the common case, quickly */
        *out = (p[0] - '0') * 10 + (p[1] - '0');
        return p + 2;
    }
    const char *s = p, *lim = end - p > max ? p + max : end;
    int v = 0;
    while (p < lim && timefmt_isdigit(*p))
        v = v * 10 + (*p++ - '0');
    *out = v;
    return p - s >= min ? p : NULL;
}

/* Reads 1..max digits as a fraction scaled to max digits. */
static const char *
timefmt_fraction(const char *p, const char *end, int max, int32_t *out)
{
    int n = 0;
    int32_t v = 0;
    while (n < max && p < end && timefmt_isdigit(*p)) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    if (n == 0)
        return NULL;
    for (; n < max; n++)
        v *= 10;
    *out = v;
    return p;
}

/* Reads an unsigned integer of 1..19 digits that fits in int64. */
static const char *
timefmt_uint64(const char *p, const char *end, int64_t *out)
{
    int64_t v = 0;
    int n = 0;
    while (p < end && timefmt_isdigit(*p)) {
        if (++n > TIMEFMT_MAX_EPOCH_DIGITS ||
            __builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, *p - '0', &v))
            return NULL;
        p++;
    }
    *out = v;
    return n > 0 ? p : NULL;
}

/* Matches a full or three-letter English name, any case. */
static const char *
timefmt_name(const char *p, const char *end, const struct timefmt_name *names,
             int count, int *out)
{
    if (end - p < 3)
        return NULL;
    /* | 0x20 lowers letters and maps no other byte onto a letter */
    uint32_t key =
        TIMEFMT_KEY((unsigned char)p[0] | 0x20, (unsigned char)p[1] | 0x20,
                    (unsigned char)p[2] | 0x20);
    for (int i = 0; i < count; i++) {
        if (names[i].key != key)
            continue;
        const char *n = names[i].text;
        size_t k = 3;
        *out = i;
        while (k < names[i].len && p + k < end && timefmt_lower(p[k]) == n[k])
            k++;
        return k == names[i].len ? p + k : p + 3;
    }
    return NULL;
}

/* Reads Z, +hh, +hhmm or +hh:mm (or with '-'). */
static const char *
timefmt_offset(const char *p, const char *end, int32_t *off)
{
    int h, m = 0;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        *off = 0;
        return p + 1;
    }
    if (p >= end || (*p != '+' && *p != '-'))
        return NULL;
    int sign = *p++ == '-' ? -1 : 1;
    p = timefmt_digits(p, end, 2, 2, &h);
    if (p != NULL && p < end && *p == ':')
        p = timefmt_digits(p + 1, end, 2, 2, &m);
    else if (p != NULL && end - p >= 2 && timefmt_isdigit(*p))
        p = timefmt_digits(p, end, 2, 2, &m);
    if (p == NULL || h > 23 || m > 59)
        return NULL;
    *off = sign * (h * 3600 + m * 60);
    return p;
}

/* Reads UTC, GMT or Z, any case. */
static const char *
timefmt_zone_abbr(const char *p, const char *end)
{
    const char *s = p;
    while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
        p++;
    size_t n = (size_t)(p - s);
    char w[3];
    if (n != 1 && n != 3)
        return NULL;
    for (size_t i = 0; i < n; i++)
        w[i] = timefmt_lower(s[i]);
    if (n == 1)
        return w[0] == 'z' ? p : NULL;
    return memcmp(w, "utc", 3) == 0 || memcmp(w, "gmt", 3) == 0 ? p : NULL;
}

/* ---- running a compiled spec ---- */

/* Runs op at p; returns the end of what it read, or NULL. */
static const char *
timefmt_op_run(const struct timefmt *f, const struct timefmt_op *op,
               const char *p, const char *end, struct timefmt_tm *tm)
{
    int v;
    switch ((enum timefmt_opcode)op->code) {
    case TF_LITERAL: /* mostly one or two bytes: no memcmp call */
        if ((size_t)(end - p) < op->len)
            return NULL;
        for (uint32_t k = 0; k < op->len; k++) {
            if (p[k] != f->lits[op->at + k])
                return NULL;
        }
        return p + op->len;
    case TF_BLANKS: {
        const char *s = p;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        return p > s ? p : NULL;
    }
    case TF_NUMBER: {
        int max = op->max;
        if (op->pad && p < end && *p == ' ') {
            p++;
            max--;
        }
        return timefmt_digits(p, end, op->field == TF_YEAR ? max : 1, max,
                              &tm->num[op->field]);
    }
    case TF_FRACTION:
        return timefmt_fraction(p, end, TIMEFMT_MAX_FRAC_DIGITS, &tm->nsec);
    case TF_MONTH_NAME:
        p = timefmt_name(p, end, timefmt_months, 12, &v);
        if (p != NULL)
            tm->num[TF_MON] = v + 1;
        return p;
    case TF_WEEKDAY:
        return timefmt_name(p, end, timefmt_weekdays, 7, &v);
    case TF_AMPM:
        if (end - p < 2 || timefmt_lower(p[1]) != 'm')
            return NULL;
        tm->pm = timefmt_lower(p[0]) == 'p';
        return tm->pm || timefmt_lower(p[0]) == 'a' ? p + 2 : NULL;
    case TF_OFFSET:
        tm->has_off = true;
        return timefmt_offset(p, end, &tm->off);
    case TF_ZONE_NAME:
        tm->has_off = true;
        tm->off = 0;
        return timefmt_zone_abbr(p, end);
    case TF_EPOCH:
        tm->neg = p < end && *p == '-';
        return timefmt_uint64(p + tm->neg, end, &tm->epoch);
    }
    return NULL;
}

/* Reads "YYYY-MM-DD[(T| )HH:MM[:SS[(.|,)frac]][ ][offset]]". */
static const char *
timefmt_iso(const char *p, const char *end, struct timefmt_tm *tm)
{
    int *n = tm->num;
    p = timefmt_digits(p, end, 4, 4, &n[TF_YEAR]);
    if (p == NULL || p >= end || *p++ != '-')
        return NULL;
    p = timefmt_digits(p, end, 2, 2, &n[TF_MON]);
    if (p == NULL || p >= end || *p++ != '-')
        return NULL;
    p = timefmt_digits(p, end, 2, 2, &n[TF_DAY]);
    if (p == NULL || p == end)
        return p;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return NULL;
    p = timefmt_digits(p + 1, end, 2, 2, &n[TF_HOUR]);
    if (p == NULL || p >= end || *p++ != ':')
        return NULL;
    p = timefmt_digits(p, end, 2, 2, &n[TF_MIN]);
    if (p != NULL && p < end && *p == ':') {
        p = timefmt_digits(p + 1, end, 2, 2, &n[TF_SEC]);
        if (p != NULL && p < end && (*p == '.' || *p == ','))
            p = timefmt_fraction(p + 1, end, TIMEFMT_MAX_FRAC_DIGITS,
                                 &tm->nsec);
    }
    if (p == NULL || p == end)
        return p;
    if (*p == ' ' && end - p > 1 && (p[1] == '+' || p[1] == '-'))
        p++;
    tm->has_off = true;
    return timefmt_offset(p, end, &tm->off);
}

/* ---- from fields to nanoseconds ---- */

/* sec * unit + sub (negated when neg) in *out; -EINVAL on overflow. */
static int
timefmt_to_ns(int64_t sec, int64_t unit, int64_t sub, bool neg, int64_t *out)
{
    int64_t ns;
    if (__builtin_mul_overflow(sec, unit, &ns) ||
        __builtin_add_overflow(ns, sub, &ns))
        return -EINVAL;
    *out = neg ? -ns : ns;
    return 0;
}

/* The year of a yearless date in month mon (see timefmt.h). */
static int64_t
timefmt_infer_year(int mon, const struct timefmt_tm *tm,
                   const struct timefmt_zone *zone, int64_t now_ns)
{
    int64_t now = timefmt_floor_div(now_ns, TIMEFMT_NS_PER_SEC), y;
    int32_t off = tm->has_off ? tm->off : timefmt_zone_offset_at(zone, now);
    int m, d;
    timefmt_civil_from_days(timefmt_floor_div(now + off, TIMEFMT_SEC_PER_DAY),
                            &y, &m, &d);
    if (mon > m + 1)
        return y - 1;
    if (mon == 1 && m == 12)
        return y + 1;
    return y;
}

/* The date from month and day or from the day of the year; 0 or -EINVAL. */
static int
timefmt_days(unsigned have, int64_t year, const struct timefmt_tm *tm,
             int64_t *days)
{
    const int *n = tm->num;
    unsigned md = TF_HAVE_MONTH | TF_HAVE_DAY;
    if ((have & md) != md) { /* then %j is there (timefmt_check) */
        if (n[TF_YDAY] < 1 || n[TF_YDAY] > 365 + timefmt_is_leap(year))
            return -EINVAL;
        *days = timefmt_days_from_civil(year, 1, 1) + n[TF_YDAY] - 1;
        return 0;
    }
    if (n[TF_MON] < 1 || n[TF_MON] > 12 || n[TF_DAY] < 1 ||
        n[TF_DAY] > timefmt_days_in_month(year, n[TF_MON]))
        return -EINVAL;
    *days = timefmt_days_from_civil(year, n[TF_MON], n[TF_DAY]);
    return 0;
}

/* Checks the fields, converts local time to UTC and stores ns in *out. */
static int
timefmt_finish(unsigned have, struct timefmt_tm *tm,
               const struct timefmt_zone *zone, int64_t now_ns, int64_t *out)
{
    int *n = tm->num;
    int64_t year = n[TF_YEAR];

    if (have & TF_HAVE_EPOCH)
        return timefmt_to_ns(tm->epoch, TIMEFMT_NS_PER_SEC, tm->nsec, tm->neg,
                             out);
    if (have & TF_HAVE_YEAR2)
        year = n[TF_YEAR2] + (n[TF_YEAR2] < 69 ? 2000 : 1900);
    else if (!(have & TF_HAVE_YEAR))
        year = timefmt_infer_year(n[TF_MON], tm, zone, now_ns);
    if (have & TF_HAVE_HOUR12) {
        if (n[TF_HOUR12] < 1 || n[TF_HOUR12] > 12)
            return -EINVAL;
        n[TF_HOUR] = n[TF_HOUR12] % 12 + (tm->pm ? 12 : 0);
    }
    if (n[TF_HOUR] > 23 || n[TF_MIN] > 59 || n[TF_SEC] > 60)
        return -EINVAL;
    if (n[TF_SEC] == 60) {
        n[TF_SEC] = 59;
        tm->nsec = TIMEFMT_LEAP_NSEC;
    }
    int64_t days;
    if (timefmt_days(have, year, tm, &days) < 0)
        return -EINVAL;
    int64_t local = days * TIMEFMT_SEC_PER_DAY + n[TF_HOUR] * 3600 +
                    n[TF_MIN] * 60 + n[TF_SEC];
    int64_t utc =
        tm->has_off ? local - tm->off : timefmt_zone_local_to_utc(zone, local);
    return timefmt_to_ns(utc, TIMEFMT_NS_PER_SEC, tm->nsec, false, out);
}

/* Parses an epoch number in units of unit ns with up to fdigits decimals. */
static int
timefmt_unix(const char *p, const char *end, int64_t unit, int fdigits,
             int64_t *out)
{
    int64_t whole;
    int32_t frac = 0;
    bool neg = p < end && *p == '-';

    p = timefmt_uint64(p + neg, end, &whole);
    if (p != NULL && fdigits > 0 && p < end && *p == '.')
        p = timefmt_fraction(p + 1, end, fdigits, &frac);
    if (p != end)
        return -EINVAL;
    return timefmt_to_ns(whole, unit, frac, neg, out);
}

int
timefmt_parse(const struct timefmt *f, const char *s, size_t len,
              const struct timefmt_zone *zone, int64_t now_ns, int64_t *out_ns)
{
    struct timefmt_tm tm;
    unsigned have = f->have;

    if (len == 0)
        return -EINVAL; /* every format reads something (and s may be NULL) */
    const char *p = s, *end = s + len;
    memset(&tm, 0, sizeof(tm));
    switch (f->kind) {
    case TIMEFMT_SPEC:
        for (size_t i = 0; i < f->nops && p != NULL; i++)
            p = timefmt_op_run(f, &f->ops[i], p, end, &tm);
        break;
    case TIMEFMT_ISO8601:
        p = timefmt_iso(p, end, &tm);
        have = TF_HAVE_YEAR | TF_HAVE_MONTH | TF_HAVE_DAY;
        break;
    case TIMEFMT_UNIX:
        return timefmt_unix(p, end, TIMEFMT_NS_PER_SEC, 9, out_ns);
    case TIMEFMT_UNIX_MS:
        return timefmt_unix(p, end, 1000000, 6, out_ns);
    case TIMEFMT_UNIX_US:
        return timefmt_unix(p, end, 1000, 3, out_ns);
    case TIMEFMT_UNIX_NS:
        return timefmt_unix(p, end, 1, 0, out_ns);
    }
    if (p != end)
        return -EINVAL;
    return timefmt_finish(have, &tm, zone, now_ns, out_ns);
}

/* ---- compiling ---- */

/* Appends an op and returns it. */
static struct timefmt_op *
timefmt_add_op(struct timefmt *f, enum timefmt_opcode code)
{
    f->ops = xrealloc(f->ops, (f->nops + 1) * sizeof(*f->ops));
    struct timefmt_op *op = &f->ops[f->nops++];
    memset(op, 0, sizeof(*op));
    op->code = (uint8_t)code;
    return op;
}

/* Appends a literal byte, extending the previous literal op if any. */
static void
timefmt_add_literal(struct timefmt *f, char c)
{
    f->lits = xrealloc(f->lits, f->lits_len + 1);
    f->lits[f->lits_len] = c;
    if (f->nops == 0 || f->ops[f->nops - 1].code != TF_LITERAL) {
        struct timefmt_op *op = timefmt_add_op(f, TF_LITERAL);
        op->at = (uint32_t)f->lits_len;
    }
    f->ops[f->nops - 1].len++;
    f->lits_len++;
}

/* Adds the ops of directive %c; returns false when c is unknown. */
static bool
timefmt_add_directive(struct timefmt *f, char c)
{
    const char *expand = c == 'T' ? "HMS" : c == 'F' ? "Ymd" : NULL;
    if (expand != NULL) { /* %T = %H:%M:%S, %F = %Y-%m-%d */
        for (int i = 0; i < 3; i++) {
            if (i > 0)
                timefmt_add_literal(f, c == 'T' ? ':' : '-');
            timefmt_add_directive(f, expand[i]);
        }
        return true;
    }
    if (c == '%') {
        timefmt_add_literal(f, '%');
        return true;
    }
    for (size_t i = 0;
         i < sizeof(timefmt_directives) / sizeof(timefmt_directives[0]); i++) {
        const struct timefmt_directive *d = &timefmt_directives[i];
        if (d->c != c)
            continue;
        struct timefmt_op *op = timefmt_add_op(f, d->code);
        op->field = d->field;
        op->max = d->max;
        op->pad = d->pad;
        f->have |= d->have;
        return true;
    }
    return false;
}

/* Checks that a spec's directives can make a time; 0 or -EINVAL. */
static int
timefmt_check(const struct timefmt *f, const char *spec, struct errbuf *err)
{
    unsigned h = f->have;
    if (h & TF_HAVE_EPOCH)
        return 0;
    if ((h & TF_HAVE_HOUR12) && !(h & TF_HAVE_AMPM))
        return errbuf_set(err, "%%I and %%l need %%p in \"%s\"", spec);
    if ((h & TF_HAVE_YDAY) && !(h & (TF_HAVE_YEAR | TF_HAVE_YEAR2)))
        return errbuf_set(err, "%%j needs %%Y or %%y in \"%s\"", spec);
    if (!(h & TF_HAVE_YDAY) &&
        (h & (TF_HAVE_MONTH | TF_HAVE_DAY)) != (TF_HAVE_MONTH | TF_HAVE_DAY))
        return errbuf_set(err,
                          "no date in \"%s\": it needs %%m (or %%b) and %%d, "
                          "%%j with %%Y, or %%s",
                          spec);
    return 0;
}

/* Compiles a strftime-like spec into f's ops; 0 or -EINVAL. */
static int
timefmt_compile_spec(struct timefmt *f, const char *spec, struct errbuf *err)
{
    for (const char *p = spec; *p != '\0'; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            if (f->nops == 0 || f->ops[f->nops - 1].code != TF_BLANKS)
                timefmt_add_op(f, TF_BLANKS);
        } else if (*p != '%') {
            timefmt_add_literal(f, *p);
        } else if (p[1] == '\0') {
            return errbuf_set(err, "lone %% at the end of \"%s\"", spec);
        } else if (!timefmt_add_directive(f, *++p)) {
            unsigned char c = (unsigned char)*p;
            if (c >= 0x20 && c < 0x7f)
                return errbuf_set(err, "unknown directive %%%c in \"%s\"", c,
                                  spec);
            return errbuf_set(err, "unknown directive %%\\x%02x in \"%s\"", c,
                              spec);
        }
    }
    return timefmt_check(f, spec, err);
}

struct timefmt *
timefmt_compile(const char *spec, struct errbuf *err)
{
    static const struct {
        const char *name;
        enum timefmt_kind kind;
    } specials[] = {
        {"ISO8601", TIMEFMT_ISO8601}, {"UNIX", TIMEFMT_UNIX},
        {"UNIX_MS", TIMEFMT_UNIX_MS}, {"UNIX_US", TIMEFMT_UNIX_US},
        {"UNIX_NS", TIMEFMT_UNIX_NS},
    };
    struct timefmt *f = xcalloc(1, sizeof(*f));

    if (*spec == '\0') {
        errbuf_set(err, "empty time format");
        goto fail;
    }
    for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
        if (strcmp(spec, specials[i].name) == 0) {
            f->kind = specials[i].kind;
            return f;
        }
    }
    if (strcmp(spec, "SYSLOG") == 0)
        spec = TIMEFMT_SYSLOG_SPEC;
    if (timefmt_compile_spec(f, spec, err) == 0)
        return f;
fail:
    timefmt_destroy(f);
    return NULL;
}

bool
timefmt_uses_now(const struct timefmt *f)
{
    unsigned year = TF_HAVE_YEAR | TF_HAVE_YEAR2 | TF_HAVE_EPOCH;
    return f->kind == TIMEFMT_SPEC && !(f->have & year);
}

void
timefmt_destroy(struct timefmt *f)
{
    if (f == NULL)
        return;
    free(f->ops);
    free(f->lits);
    free(f);
}

/* Writes v as exactly width digits at d. */
static void
timefmt_put_digits(char *d, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        d[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void
timefmt_format_utc_ms(int64_t time_ns, char *out)
{
    int64_t sec = timefmt_floor_div(time_ns, TIMEFMT_NS_PER_SEC);
    int64_t rem = time_ns % TIMEFMT_NS_PER_SEC;
    int64_t ms = (rem < 0 ? rem + TIMEFMT_NS_PER_SEC : rem) / 1000000;
    int64_t days = timefmt_floor_div(sec, TIMEFMT_SEC_PER_DAY), y;
    int64_t sod = sec - days * TIMEFMT_SEC_PER_DAY;
    int m, d;

    /* int64 ns spans 1677..2262: the year always has four digits. */
    timefmt_civil_from_days(days, &y, &m, &d);
    memcpy(out, "0000-00-00T00:00:00.000Z", TIMEFMT_UTC_MS_LEN + 1);
    timefmt_put_digits(out, y, 4);
    timefmt_put_digits(out + 5, m, 2);
    timefmt_put_digits(out + 8, d, 2);
    timefmt_put_digits(out + 11, sod / 3600, 2);
    timefmt_put_digits(out + 14, sod / 60 % 60, 2);
    timefmt_put_digits(out + 17, sod % 60, 2);
    timefmt_put_digits(out + 20, ms, 3);
}
