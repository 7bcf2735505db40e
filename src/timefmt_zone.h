/*
 * Time zones for timefmt: UTC, fixed offsets and IANA zones read from TZif
 * files (RFC 8536) under $TZDIR or /usr/share/zoneinfo, with the POSIX TZ
 * footer for times after the last transition. Never touches the process TZ
 * or localtime(). A zone is loaded once (config time, any thread) and is
 * immutable afterwards, so any number of workers may share it.
 *
 * Local wall-clock time to UTC: in a fall-back overlap the first (earlier)
 * occurrence wins; a time that does not exist (in a spring-forward gap) is
 * read with the offset in effect before the transition, so 02:30 on the
 * night Paris moves from +01:00 to +02:00 becomes 01:30Z (03:30 local).
 */
#ifndef LOGSHIP_TIMEFMT_ZONE_H
#define LOGSHIP_TIMEFMT_ZONE_H

#include "errbuf.h"

#include <stdint.h>

struct timefmt_zone;

/*
 * Loads a zone: "local" (this machine's: $TZ, else /etc/localtime, else
 * UTC, read without tzset()); "UTC", "Z" or "GMT"; a fixed offset "+02:00",
 * "-0530",
 * "+02"; an IANA name ("Europe/Paris") read from $TZDIR or
 * /usr/share/zoneinfo; or, when no such file exists, a POSIX TZ string
 * with a rule ("CET-1CEST,M3.5.0,M10.5.0/3"). Returns NULL and fills err
 * ("unknown time zone \"Mars/Base\"", naming the directory when it is
 * missing altogether) on failure.
 */
struct timefmt_zone *timefmt_zone_load(const char *name, struct errbuf *err);
/* Frees a zone; NULL is a no-op. */
void timefmt_zone_destroy(struct timefmt_zone *zone);
/* The name the zone was loaded with; valid as long as the zone. */
const char *timefmt_zone_name(const struct timefmt_zone *zone);
/* The UTC offset in seconds in effect at utc_sec (NULL zone: UTC). */
int32_t timefmt_zone_offset_at(const struct timefmt_zone *zone,
                               int64_t utc_sec);
/*
 * Converts local wall-clock seconds (counted as if the zone were UTC) to
 * UTC seconds, resolving overlaps and gaps as described above.
 */
int64_t timefmt_zone_local_to_utc(const struct timefmt_zone *zone,
                                  int64_t local_sec);

#endif
