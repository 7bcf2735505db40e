/*
 * Type conversion for stages: a string value → the text of a typed field
 * (enum field_type), validated and in the form the encoder copies verbatim,
 * and the IP address check of the convert stage's `ip` type. Pure
 * functions; new bytes go to the caller's scratch, and results that are a
 * slice of the input point into it (no copy). Any thread.
 */
#ifndef LOGSHIP_CONVERT_H
#define LOGSHIP_CONVERT_H

#include "event.h"
#include "scratch.h"

#include <stddef.h>

/* Bytes convert_format_double() may write, its terminating NUL included. */
#define CONVERT_DOUBLE_MAX 32

/* The longest address text convert_ip() accepts
 * ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"): INET6_ADDRSTRLEN - 1. */
#define CONVERT_IP_MAX 45

/*
 * Parses a type name as written in config: "int" or "integer", "float" or
 * "double", "bool" or "boolean", "string". Returns 0 or -EINVAL. ("ip" is
 * not a field type: the convert stage checks it with convert_ip().)
 */
int convert_type_parse(const char *name, enum field_type *out);

/* The config name of type ("int", "float", "bool", "string", "json"). */
const char *convert_type_name(enum field_type type);

/*
 * Converts in to type `to`, leading and trailing blanks (space, tab, CR,
 * LF) ignored for the typed targets:
 * - FIELD_INT: [+-]digits within the int64 range → canonical decimal text
 *   ("+007" → "7", "-0" → "0"); fractions and exponents are refused.
 * - FIELD_FLOAT: a decimal number ([+-], digits, optional fraction and
 *   exponent; no hex, inf or nan) that is finite as a double. Valid JSON
 *   number text with a fraction or exponent is kept as written; anything
 *   else is rewritten as the shortest text that reads back to the same
 *   double, always with a '.' or an exponent ("3" → "3.0", ".5" → "0.5"),
 *   so that Elasticsearch's dynamic mapping sees a float, not a long.
 * - FIELD_BOOL: true/false, yes/no, on/off, 1/0, any case → "true"/"false".
 * - FIELD_STRING: in itself, unchanged (blanks kept).
 * - FIELD_JSON is not a conversion target.
 * *out points into in, into static memory or into sc (valid until its
 * reset). Returns 0 or -EINVAL (*out is then unchanged).
 */
int convert_value(struct span in, enum field_type to, struct scratch *sc,
                  struct span *out);

/*
 * Writes the shortest text that reads back to d (%.15g, else %.17g), with
 * ".0" added when it would otherwise read as an integer, into dst
 * (CONVERT_DOUBLE_MAX bytes). Returns its length, or 0 when d is not
 * finite (JSON has no inf or nan). Assumes the C numeric locale, which
 * logship never changes.
 */
size_t convert_format_double(double d, char *dst);

/*
 * Checks that in is, byte for byte, an IPv4 dotted quad or an IPv6 address
 * as inet_pton(3) reads them: no blanks, no leading zeros in IPv4 parts,
 * no IPv6 zone suffix ("fe80::1%eth0"), no NUL. Returns 0 or -EINVAL; no
 * allocation, and text longer than CONVERT_IP_MAX fails at once.
 */
int convert_ip(struct span in);

#endif
