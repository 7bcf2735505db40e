/*
 * bench/refloop - the reference points of the parse target (issue 4),
 * measured on this machine: how fast PCRE2 JIT runs the built-in
 * %{HTTPD_COMBINEDLOG} regex alone, how fast it runs `^.*$` (the floor of
 * any per-line regex), and how fast a plain regex-plus-encode loop runs
 * (match, then each capture as a member of a flat JSON object: the quoted
 * name made once, the value through a byte-by-byte escape; written to
 * /dev/null). logship's parse figure is only meaningful
 * next to these: they say what the CPU gives before logship does anything.
 *
 *   bench/refloop FILE [REPEATS]
 *
 * Reads FILE (Apache combined lines) into memory, runs each loop REPEATS
 * times (default 3) and prints the best run of each as MB of input per
 * CPU-second of this process (MB = 10^6 bytes). The regex is the one the
 * grok stage compiles: byte mode, JIT.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include "errbuf.h"
#include "patterns.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REFLOOP_OUT_BYTES (1u << 20)
#define REFLOOP_OUT_SLACK (64u * 1024) /* one document's worst case fits */

struct refloop_input {
    char *data; /* owned */
    size_t len;
    size_t lines;
};

/* The encode loop's output buffer, flushed to /dev/null when nearly full. */
struct refloop_out {
    char data[REFLOOP_OUT_BYTES];
    size_t len;
    FILE *sink;
};

static double
refloop_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
refloop_read(const char *path, struct refloop_input *in)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 1u << 20;
    in->data = malloc(cap);
    in->len = 0;
    size_t n;
    while (in->data != NULL &&
           (n = fread(in->data + in->len, 1, cap - in->len, f)) > 0) {
        in->len += n;
        if (in->len == cap)
            in->data = realloc(in->data, cap *= 2);
    }
    fclose(f);
    if (in->data == NULL) {
        fputs("refloop: out of memory\n", stderr);
        return -1;
    }
    in->lines = 0;
    for (const char *p = in->data, *end = p + in->len;
         (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        in->lines++;
    return 0;
}

/* The plain escape: a table says which bytes need one. */
static void
refloop_escape(struct refloop_out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *d = o->data + o->len;
    *d++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *d++ = '\\';
            *d++ = (char)c;
        } else if (c < 0x20) {
            memcpy(d, "\\u00", 4);
            d[4] = hex[c >> 4];
            d[5] = hex[c & 15];
            d += 6;
        } else {
            *d++ = (char)c;
        }
    }
    *d++ = '"';
    o->len = (size_t)(d - o->data);
}

/*
 * One pass over the input: match every line; with names, also write each
 * capture as a member of a flat JSON object. Returns the CPU seconds.
 */
static double
refloop_pass(const struct refloop_input *in, pcre2_code *code,
             pcre2_match_data *md, char **names, uint32_t ngroups,
             struct refloop_out *o, size_t *matched)
{
    double t0 = refloop_cpu_s();
    const char *p = in->data, *end = in->data + in->len;
    *matched = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        int rc = pcre2_jit_match(code, (PCRE2_SPTR)p, len, 0, 0, md, NULL);
        if (rc > 0) {
            (*matched)++;
            if (names != NULL) {
                const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                o->data[o->len++] = '{';
                for (uint32_t g = 1; g <= ngroups && g < (uint32_t)rc; g++) {
                    if (ov[2 * g] == PCRE2_UNSET)
                        continue;
                    if (o->data[o->len - 1] != '{')
                        o->data[o->len++] = ',';
                    size_t k = strlen(names[g]); /* "name": */
                    memcpy(o->data + o->len, names[g], k);
                    o->len += k;
                    refloop_escape(o, p + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
                }
                memcpy(o->data + o->len, "}\n", 2);
                o->len += 2;
                if (o->len > REFLOOP_OUT_BYTES - REFLOOP_OUT_SLACK) {
                    fwrite(o->data, 1, o->len, o->sink);
                    o->len = 0;
                }
            }
        }
        p += len + 1;
    }
    return refloop_cpu_s() - t0;
}

static pcre2_code *
refloop_compile(const char *regex)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
                                     0, &ec, &off, NULL);
    if (code == NULL || pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) != 0) {
        fprintf(stderr, "refloop: cannot compile and JIT %s\n", regex);
        exit(1);
    }
    return code;
}

static void
refloop_report(const char *what, const struct refloop_input *in,
               pcre2_code *code, char **names, uint32_t ngroups,
               struct refloop_out *o, int repeats)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    double best = 0;
    size_t matched = 0;
    for (int r = 0; r < repeats; r++) {
        double s = refloop_pass(in, code, md, names, ngroups, o, &matched);
        if (r == 0 || s < best)
            best = s;
    }
    printf("  %-34s %7.1f MB per CPU-second  %5.0f ns/line  (%zu of %zu "
           "lines matched)\n",
           what, (double)in->len / best / 1e6, best / (double)in->lines * 1e9,
           matched, in->lines);
    pcre2_match_data_free(md);
}

int
main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fputs("usage: bench/refloop FILE [REPEATS]\n", stderr);
        return 2;
    }
    int repeats = argc == 3 ? atoi(argv[2]) : 3;
    struct refloop_input in;
    if (refloop_read(argv[1], &in) < 0 || in.lines == 0 || repeats < 1)
        return 1;

    struct errbuf err = {{0}};
    struct patterns *lib = patterns_create();
    struct patterns_expansion exp;
    if (patterns_load_builtin(lib, &err) < 0 ||
        patterns_expand(lib, "%{HTTPD_COMBINEDLOG}", "pattern", &exp, &err) <
            0) {
        fprintf(stderr, "refloop: %s\n", err.msg);
        return 1;
    }
    pcre2_code *grok = refloop_compile(exp.regex);
    pcre2_code *floor = refloop_compile("^.*$");

    /* Group g is captures[g - 1] (patterns.h): the member names. */
    char **names = calloc(exp.ncaptures + 1, sizeof(*names));
    for (size_t i = 0; names != NULL && i < exp.ncaptures; i++) {
        const char *f = exp.captures[i].field; /* no byte to escape */
        size_t n = strlen(f);
        if ((names[i + 1] = malloc(n + 4)) == NULL)
            return 1;
        snprintf(names[i + 1], n + 4, "\"%s\":", f);
    }
    struct refloop_out *o = malloc(sizeof(*o));
    if (names == NULL || o == NULL ||
        (o->sink = fopen("/dev/null", "w")) == NULL)
        return 1;
    o->len = 0;

    printf("refloop: %zu bytes, %zu lines, best of %d\n", in.len, in.lines,
           repeats);
    refloop_report("%{HTTPD_COMBINEDLOG} regex alone", &in, grok, NULL, 0, o,
                   repeats);
    refloop_report("^.*$ alone", &in, floor, NULL, 0, o, repeats);
    refloop_report("plain regex-plus-encode loop", &in, grok, names,
                   (uint32_t)exp.ncaptures, o, repeats);

    fclose(o->sink);
    free(o);
    for (size_t i = 0; i < exp.ncaptures; i++)
        free(names[i + 1]);
    free(names);
    pcre2_code_free(grok);
    pcre2_code_free(floor);
    patterns_expansion_fini(&exp);
    patterns_destroy(lib);
    free(in.data);
    return 0;
}
