/* The ndjson runners' shared helpers; see ndjsontest.h. */
#include "config.h"

#include "ndjsontest.h"

#include "buf.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

/* The random state; each forked test starts from this seed. */
static uint64_t ndjsontest_rng_state = 0x9e3779b97f4a7c15u;

uint64_t
ndjsontest_rand(void)
{
    uint64_t x = ndjsontest_rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ndjsontest_rng_state = x;
    return x * 0x2545f4914f6cdd1du;
}

size_t
ndjsontest_rand_below(size_t n)
{
    return (size_t)(ndjsontest_rand() % n);
}

/* Prints bytes with C escapes, for failure messages. */
static const char *
ndjsontest_show(const char *s, size_t len)
{
    static char shown[4096];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < sizeof(shown); i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            shown[n++] = (char)c;
        else
            n += (size_t)snprintf(shown + n, 5, "\\x%02x", c);
    }
    shown[n] = '\0';
    return shown;
}

void
ndjsontest_expect_bytes(const char *got, size_t got_len, const char *want,
                        size_t want_len)
{
    if (got_len == want_len && memcmp(got, want, got_len) == 0)
        return;
    char g[4096];
    snprintf(g, sizeof(g), "%s", ndjsontest_show(got, got_len));
    ck_abort_msg("got  %s\nwant %s", g, ndjsontest_show(want, want_len));
}

struct event
ndjsontest_event(struct field *fields, size_t nfields)
{
    struct event ev;
    memset(&ev, 0, sizeof(ev));
    ev.text = SPAN_LIT("m");
    ev.fields = fields;
    ev.nfields = nfields;
    ev.cap_fields = nfields;
    return ev;
}

void
ndjsontest_check_event_with(struct ndjson_enc *enc, const struct event *ev,
                            const char *want)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(ndjson_write_event(enc, &b, ev), 0);
    ndjsontest_expect_bytes(b.data, b.len, want, strlen(want));
    buf_fini(&b);
}
