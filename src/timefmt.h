/*
 * Time parsing to UTC nanoseconds: strftime-like specs, ISO 8601, epoch
 * seconds/ms/µs/ns and syslog dates without a year. A format is compiled
 * once (config time) and is then read-only: timefmt_parse() is pure, never
 * allocates, never touches TZ, and any number of threads may call it on the
 * same format and zone at once.
 *
 * Specs (strftime directives, English names, case-insensitive):
 *   %Y year (4 digits)  %y year 69-99 → 19xx, 00-68 → 20xx  %m month
 *   %d day  %e day, optional leading space  %j day of year (needs %Y/%y)
 *   %H hour 0-23  %k the same, optional leading space  %I / %l hour 1-12
 *   (need %p)  %p AM/PM  %M minute  %S second (60 reads as the last
 *   nanosecond of :59)  %f fraction of a second, 1-9 digits (write the
 *   separator: "%S.%f", "%S,%f")  %b %h %B month name, full or abbreviated
 *   %a %A weekday name (checked, otherwise ignored)  %z +hhmm, +hh:mm, +hh
 *   or Z  %Z UTC, GMT or Z  %s epoch seconds (optionally negative; it
 *   gives the instant, other fields are then read but ignored)  %T = %H:%M:%S
 *   %F = %Y-%m-%d  %% a '%'.
 * Numbers take 1-2 digits (1-3 for %j), so "%Y%m%d" reads "20261126".
 * Whitespace in a spec matches one or more blanks (space or tab); any
 * other character matches itself. The whole input must be consumed. A
 * spec needs a date: %m (or a month name) and %d/%e, or %j, or %s. Time
 * of day fields that are absent are zero.
 *
 * Special specs: "ISO8601" (YYYY-MM-DD, then 'T', 't' or ' ' and
 * HH:MM[:SS[(.|,)fraction]], then optionally [space]Z, +hh:mm, +hhmm or
 * +hh; date-only is midnight), "UNIX" (seconds, optional fraction of 1-9
 * digits), "UNIX_MS" (fraction of up to 6 digits), "UNIX_US" (up to 3),
 * "UNIX_NS" (integer), all optionally negative, and "SYSLOG" (= "%b %e
 * %H:%M:%S": "Nov 26 06:21:21", "Nov  6 06:21:21").
 *
 * Without an offset in the input, the zone given to timefmt_parse applies
 * (see timefmt_zone.h for gaps and overlaps). Without a year, it is
 * inferred from now_ns, read in the event's zone: the year of now, except
 * that a month more than one month ahead of now's month is last year's (a
 * "Dec 31" line read in January), and January read in December is next
 * year's. So a yearless date lands between ~11 months before and ~1 month
 * after now. A Feb 29 that the inferred year lacks fails to parse.
 */
#ifndef LOGSHIP_TIMEFMT_H
#define LOGSHIP_TIMEFMT_H

#include "errbuf.h"
#include "timefmt_zone.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timefmt;

/* Length of "YYYY-MM-DDTHH:MM:SS.mmmZ", without the NUL. */
#define TIMEFMT_UTC_MS_LEN 24

/*
 * Compiles a spec (see above). Returns NULL and fills err on failure:
 * unknown directive %Q in "%Y-%Q", a lone % at the end, no date, %I
 * without %p.
 */
struct timefmt *timefmt_compile(const char *spec, struct errbuf *err);
/* Frees a compiled format; NULL is a no-op. */
void timefmt_destroy(struct timefmt *f);
/*
 * Parses the len bytes at s to *out_ns (UTC nanoseconds since the epoch).
 * zone applies to inputs without an offset (NULL: UTC); now_ns is only
 * used to infer a missing year. Returns 0, or -EINVAL when s does not
 * match, a field is out of range, or the time does not fit in int64 ns.
 */
int timefmt_parse(const struct timefmt *f, const char *s, size_t len,
                  const struct timefmt_zone *zone, int64_t now_ns,
                  int64_t *out_ns);
/*
 * True when results depend on now_ns (a spec without a year): callers that
 * cache results by input must not cache these.
 */
bool timefmt_uses_now(const struct timefmt *f);
/*
 * Writes time_ns as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds rounded
 * down, NUL-terminated) into out, which holds TIMEFMT_UTC_MS_LEN + 1 bytes.
 */
void timefmt_format_utc_ms(int64_t time_ns, char *out);

#endif
