/*
 * Calendar arithmetic shared by timefmt.c (formats) and timefmt_zone.c
 * (zones): proleptic Gregorian days from and to a civil date over 400-year
 * eras (H. Hinnant's public-domain algorithms), valid for negative days.
 * Pure integer code: no TZ, no gmtime_r, no locks. Private to the module.
 */
#ifndef LOGSHIP_TIMEFMT_INT_H
#define LOGSHIP_TIMEFMT_INT_H

#include <stdbool.h>
#include <stdint.h>

#define TIMEFMT_SEC_PER_DAY  86400
#define TIMEFMT_NS_PER_SEC   1000000000
#define TIMEFMT_DAYS_PER_ERA 146097 /* days in 400 Gregorian years */
#define TIMEFMT_DAYS_0000_03 719468 /* 0000-03-01 to 1970-01-01 */

/* True for a Gregorian leap year. */
static inline bool
timefmt_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1-12) of year y. */
static inline int
timefmt_days_in_month(int64_t y, int m)
{
    static const int8_t days[12] = {31, 28, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31};
    return m == 2 && timefmt_is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of y-m-d (m 1-12, d 1-31; not validated). */
static inline int64_t
timefmt_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2; /* years start in March, so the leap day ends them */
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * TIMEFMT_DAYS_PER_ERA + doe - TIMEFMT_DAYS_0000_03;
}

/* The civil date of days since 1970-01-01. */
static inline void
timefmt_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + TIMEFMT_DAYS_0000_03;
    int64_t era =
        (z >= 0 ? z : z - (TIMEFMT_DAYS_PER_ERA - 1)) / TIMEFMT_DAYS_PER_ERA;
    int64_t doe = z - era * TIMEFMT_DAYS_PER_ERA;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153; /* months since March */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Floor division of a by b (b > 0): rounds towards minus infinity. */
static inline int64_t
timefmt_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Day of the week (0 = Sunday) of days since 1970-01-01 (a Thursday). */
static inline int
timefmt_weekday(int64_t days)
{
    int64_t w = (days + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

#endif
