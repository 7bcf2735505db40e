/*
 * Unit tests for docid.c: SipHash-2-4-128 against the reference vectors
 * (veorq/SipHash vectors.h), golden ids that pin the id format forever
 * (cross-checked with an independent Python implementation when they were
 * made), every input changing the id, the base64url alphabet, a million
 * offsets of one file giving a million distinct ids, and the precomputed
 * host-and-identity prefix giving exactly docid_make()'s ids.
 */
#include "config.h"

#include "docid.h"
#include "xalloc.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISTINCT_COUNT 1000000

/* vectors_sip128[i]: key 00..0f, message 00..(i-1), i = 0..63. */
static const char *const sip128_vectors[64] = {
    "a3817f04ba25a8e66df67214c7550293", "da87c1d86b99af44347659119b22fc45",
    "8177228da4a45dc7fca38bdef60affe4", "9c70b60c5267a94e5f33b6b02985ed51",
    "f88164c12d9c8faf7d0f6e7c7bcd5579", "1368875980776f8854527a07690e9627",
    "14eeca338b208613485ea0308fd7a15e", "a1f1ebbed8dbc153c0b84aa61ff08239",
    "3b62a9ba6258f5610f83e264f31497b4", "264499060ad9baabc47f8b02bb6d71ed",
    "00110dc378146956c95447d3f3d0fbba", "0151c568386b6677a2b4dc6f81e5dc18",
    "d626b266905ef35882634df68532c125", "9869e247e9c08b10d029934fc4b952f7",
    "31fcefac66d7de9c7ec7485fe4494902", "5493e99933b0a8117e08ec0f97cfc3d9",
    "6ee2a4ca67b054bbfd3315bf85230577", "473d06e8738db89854c066c47ae47740",
    "a426e5e423bf4885294da481feaef723", "78017731cf65fab074d5208952512eb1",
    "9e25fc833f2290733e9344a5e83839eb", "568e495abe525a218a2214cd3e071d12",
    "4a29b54552d16b9a469c10528eff0aae", "c9d184ddd5a9f5e0cf8ce29a9abf691c",
    "2db479ae78bd50d8882a8a178a6132ad", "8ece5f042d5e447b5051b9eacb8d8f6f",
    "9c0b53b4b3c307e87eaee08678141f66", "abf248af69a6eae4bfd3eb2f129eeb94",
    "0664da1668574b88b935f3027358aef4", "aa4b9dc4bf337de90cd4fd3c467c6ab7",
    "ea5c7f471faf6bde2b1ad7d4686d2287", "2939b0183223fafc1723de4f52c43d35",
    "7c3956ca5eeafc3e363e9d556546eb68", "77c6077146f01c32b6b69d5f4ea9ffcf",
    "37a6986cb8847edf0925f0f1309b54de", "a705f0e69da9a8f907241a2e923c8cc8",
    "3dc47d1f29c448461e9e76ed904f6711", "0d62bf01e6fc0e1a0d3c4751c5d3692b",
    "8c03468bca7c669ee4fd5e084bbee7b5", "528a5bb93baf2c9c4473cce5d0d22bd9",
    "df6a301e95c95dad97ae0cc8c6913bd8", "801189902c857f39e73591285e70b6db",
    "e617346ac9c231bb3650ae34ccca0c5b", "27d93437efb721aa401821dcec5adf89",
    "89237d9ded9c5e78d8b1c9b166cc7342", "4a6d8091bf5e7d651189fa94a250b14c",
    "0e33f96055e7ae893ffc0e3dcf492902", "e61c432b720b19d18ec8d84bdc63151b",
    "f7e5aef549f782cf379055a608269b16", "438d030fd0b7a54fa837f2ad201a6403",
    "a590d3ee4fbf04e3247e0d27f286423f", "5fe2c1a172fe93c4b15cd37caef9f538",
    "2c97325cbd06b36eb2133dd08b3a017c", "92c814227a6bca949ff0659f002ad39e",
    "dce850110bd8328cfbd50841d6911d87", "67f14984c7da791248e32bb5922583da",
    "1938f2cf72d54ee97e94166fa91d2a36", "74481e9646ed49fe0f6224301604698e",
    "57fca5de98a9d6d8006438d0583d8a1d", "9fecde1cefdc1cbed4763674d9575359",
    "e3040c00eb28f15366ca73cbd872e740", "7697009a6a831dfecca91c5993670f7a",
    "5853542321f567a005d547a4f04759bd", "5150d1772f50834a503e069a973fbd7c",
};

static const struct fileid base_id = {
    .dev = 2049,
    .ino = 131074,
    .fingerprint = UINT64_C(0x0123456789abcdef),
    .fingerprint_len = 1024,
    .generation = 0,
};

static void
hex16(const uint8_t h[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Returns the id of (host, id, offset) in a static buffer per slot. */
static const char *
make_id(int slot, const char *host, const struct fileid *id, uint64_t offset)
{
    static char ids[8][DOCID_LEN + 1];
    docid_make(host, strlen(host), id, offset, ids[slot]);
    return ids[slot];
}

START_TEST(siphash_matches_reference_vectors)
{
    uint8_t key[16], in[64], out[16];
    char hex[33];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        in[i] = (uint8_t)i;
    for (size_t len = 0; len < 64; len++) {
        docid_siphash128(key, in, len, out);
        hex16(out, hex);
        ck_assert_msg(strcmp(hex, sip128_vectors[len]) == 0,
                      "length %zu: got %s, want %s", len, hex,
                      sip128_vectors[len]);
    }
}
END_TEST

typedef const char *docid_fn(const char *host, const struct fileid *id,
                             uint64_t offset);

/* The pinned ids: the same from every way of computing one. */
static void
check_golden_ids(docid_fn *make)
{
    struct fileid id = base_id;
    ck_assert_str_eq(make("web-1", &id, 0), "TwoWBVaMsj9EPePkhv5I1Q");
    ck_assert_str_eq(make("web-1", &id, 12345), "1WFxmU3mwCq1jKUJIdzrXQ");
    id.generation = 1;
    ck_assert_str_eq(make("web-1", &id, 12345), "3yMUMcsdoPZrbVnAw5qzzg");

    struct fileid zero = {0};
    ck_assert_str_eq(make("", &zero, 0), "OoOieZnnjcIRmdxuCabISw");

    struct fileid max = {
        .dev = UINT64_MAX,
        .ino = UINT64_MAX,
        .fingerprint = UINT64_MAX,
        .fingerprint_len = UINT32_MAX,
        .generation = UINT32_MAX,
    };
    ck_assert_str_eq(
        make("a-very-long-host-name.example.internal", &max, UINT64_MAX),
        "9FJUX5KTH718dl1Gf1pLCQ");
}

static const char *
make_id_slot0(const char *host, const struct fileid *id, uint64_t offset)
{
    return make_id(0, host, id, offset);
}

START_TEST(golden_ids_are_stable)
{
    check_golden_ids(make_id_slot0);
}
END_TEST

/* The id is the documented serialisation hashed under the documented key. */
/*
 * The id by its documented definition, from the reference SipHash
 * (docid_siphash128, checked against the published vectors) over the
 * serialisation written out here byte by byte: host_len, host, dev, ino,
 * fingerprint (8 bytes each, little-endian but the host), fingerprint_len
 * and generation (4 each), offset (8); then 22 characters of base64url.
 */
static void
ref_id(const char *host, size_t host_len, const struct fileid *id,
       uint64_t offset, char out[DOCID_LEN + 1])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    static const uint8_t key[16] = {'l', 'o', 'g', 's', 'h', 'i', 'p', '-',
                                    'd', 'o', 'c', 'i', 'd', '-', 'v', '1'};
    uint8_t *msg = xmalloc(8 + host_len + 40), h[16];
    size_t n = 0;
    uint64_t words[] = {host_len, 0, id->dev, id->ino, id->fingerprint};
    for (int w = 0; w < 5; w++) {
        if (w == 1) { /* the host bytes follow their length */
            memcpy(msg + n, host, host_len);
            n += host_len;
            continue;
        }
        for (int i = 0; i < 8; i++)
            msg[n++] = (uint8_t)(words[w] >> (8 * i));
    }
    for (int i = 0; i < 4; i++)
        msg[n++] = (uint8_t)(id->fingerprint_len >> (8 * i));
    for (int i = 0; i < 4; i++)
        msg[n++] = (uint8_t)(id->generation >> (8 * i));
    for (int i = 0; i < 8; i++)
        msg[n++] = (uint8_t)(offset >> (8 * i));
    docid_siphash128(key, msg, n, h);
    free(msg);
    size_t o = 0;
    for (int bit = 0; bit < 128; bit += 6) {
        unsigned v = 0;
        for (int b = 0; b < 6; b++) {
            int pos = bit + b;
            unsigned set = pos < 128 ? (h[pos / 8] >> (7 - pos % 8)) & 1 : 0;
            v = v << 1 | set;
        }
        out[o++] = alphabet[v];
    }
    out[o] = '\0';
}

START_TEST(id_is_siphash_of_documented_serialisation)
{
    char want[DOCID_LEN + 1];
    ref_id("web-1", 5, &base_id, 777, want);
    ck_assert_uint_eq(strlen(want), DOCID_LEN);
    ck_assert_str_eq(make_id(0, "web-1", &base_id, 777), want);
}
END_TEST

START_TEST(every_input_changes_the_id)
{
    const char *base = make_id(0, "web-1", &base_id, 100);
    struct fileid id;

    ck_assert_str_ne(make_id(1, "web-2", &base_id, 100), base);
    ck_assert_str_ne(make_id(1, "web-1.", &base_id, 100), base);
    ck_assert_str_ne(make_id(1, "", &base_id, 100), base);
    id = base_id;
    id.dev ^= 1;
    ck_assert_str_ne(make_id(1, "web-1", &id, 100), base);
    id = base_id;
    id.ino ^= UINT64_C(1) << 63;
    ck_assert_str_ne(make_id(1, "web-1", &id, 100), base);
    id = base_id;
    id.fingerprint ^= UINT64_C(1) << 32;
    ck_assert_str_ne(make_id(1, "web-1", &id, 100), base);
    id = base_id;
    id.fingerprint_len = 1023;
    ck_assert_str_ne(make_id(1, "web-1", &id, 100), base);
    id = base_id;
    id.generation = 1;
    ck_assert_str_ne(make_id(1, "web-1", &id, 100), base);
    ck_assert_str_ne(make_id(1, "web-1", &base_id, 101), base);
    ck_assert_str_ne(make_id(1, "web-1", &base_id, 100 | UINT64_C(1) << 40),
                     base);
    /* Same inputs, same id. */
    ck_assert_str_eq(make_id(1, "web-1", &base_id, 100), base);
}
END_TEST

/* Swapping values between fields must not give the same id. */
START_TEST(fields_are_not_interchangeable)
{
    struct fileid a = {.dev = 1, .ino = 2, .fingerprint = 3};
    struct fileid b = {.dev = 2, .ino = 1, .fingerprint = 3};
    struct fileid c = {.dev = 1, .ino = 3, .fingerprint = 2};
    struct fileid d = {.dev = 1, .ino = 2, .fingerprint_len = 3};
    struct fileid e = {.dev = 1, .ino = 2, .generation = 3};
    struct fileid f = {.dev = 1, .ino = 2};
    const char *ids[6] = {
        make_id(0, "h", &a, 0), make_id(1, "h", &b, 0), make_id(2, "h", &c, 0),
        make_id(3, "h", &d, 0), make_id(4, "h", &e, 0), make_id(5, "h", &f, 3),
    };
    for (int i = 0; i < 6; i++)
        for (int j = i + 1; j < 6; j++)
            ck_assert_msg(strcmp(ids[i], ids[j]) != 0, "ids %d and %d: %s", i,
                          j, ids[i]);
}
END_TEST

/* Host names past the 256-byte stack buffer are streamed: same function. */
START_TEST(long_host_names_are_hashed_whole)
{
    char host[1001];
    for (int i = 0; i < 1000; i++)
        host[i] = (char)('a' + i % 26);
    host[1000] = '\0';
    char h256[257], h257[258];
    memset(h256, 'h', 256);
    h256[256] = '\0';
    memset(h257, 'h', 257);
    h257[257] = '\0';
    ck_assert_str_eq(make_id(0, h256, &base_id, 7), "HAW_wK9VNU8MGQ0LSUk2Ow");
    ck_assert_str_eq(make_id(0, h257, &base_id, 7), "G0F7dnqStSL_F0CZAGQNTw");
    ck_assert_str_eq(make_id(0, host, &base_id, 7), "btV8th98U8cNW6lTAWWd4g");
}
END_TEST

START_TEST(host_is_read_only_to_host_len)
{
    char out[DOCID_LEN + 1];
    const char padded[] = "web-1-and-more";
    docid_make(padded, 5, &base_id, 0, out);
    ck_assert_str_eq(out, "TwoWBVaMsj9EPePkhv5I1Q");
}
END_TEST

/* True if s is DOCID_LEN base64url characters and a NUL. */
static bool
is_docid(const char *s)
{
    for (int i = 0; i < DOCID_LEN; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return false;
    }
    /* The last character holds 2 bits: A, Q, g or w. */
    return s[DOCID_LEN] == '\0' && strchr("AQgw", s[DOCID_LEN - 1]) != NULL;
}

START_TEST(ids_use_base64url_alphabet)
{
    char out[DOCID_LEN + 2];
    /* Plain ifs in the loop: each ck_assert costs a write to the runner. */
    for (uint64_t off = 0; off < 20000; off++) {
        memset(out, 'X', sizeof(out));
        docid_make("host", 4, &base_id, off, out);
        if (!is_docid(out) || out[DOCID_LEN + 1] != 'X')
            ck_abort_msg("offset %llu: bad id %.*s", (unsigned long long)off,
                         DOCID_LEN + 2, out);
    }
    ck_assert(!is_docid("TwoWBVaMsj9EPePkhv5I1R")); /* the check can fail */
    ck_assert(!is_docid("TwoWBVaMsj9EPePkhv5I1+"));
}
END_TEST

/* The first 60 bits of an id (10 characters), for sorting. */
static uint64_t
id_prefix(const char *s)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint64_t v = 0;
    for (int i = 0; i < 10; i++)
        v = v << 6 | (uint64_t)(strchr(alphabet, s[i]) - alphabet);
    return v;
}

struct keyed {
    uint64_t prefix;
    uint32_t index;
};

static int
keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix ? -1 : 1;
    return 0;
}

START_TEST(million_offsets_give_distinct_ids)
{
    char(*ids)[DOCID_LEN + 1] = malloc(DISTINCT_COUNT * sizeof(*ids));
    struct keyed *keys = malloc(DISTINCT_COUNT * sizeof(*keys));
    for (uint32_t i = 0; i < DISTINCT_COUNT; i++) {
        docid_make("web-1", 5, &base_id, i, ids[i]);
        keys[i].prefix = id_prefix(ids[i]);
        keys[i].index = i;
    }
    qsort(keys, DISTINCT_COUNT, sizeof(*keys), keyed_cmp);
    for (size_t i = 1; i < DISTINCT_COUNT; i++) {
        if (keys[i].prefix != keys[i - 1].prefix)
            continue;
        if (strcmp(ids[keys[i].index], ids[keys[i - 1].index]) == 0)
            ck_abort_msg("offsets %u and %u share id %s", keys[i].index,
                         keys[i - 1].index, ids[keys[i].index]);
    }
    free(keys);
    free(ids);
}
END_TEST

/* ---- docid_prefix: the same ids, the host and identity hashed once ---- */

/* docid_prefix_make's id for (host, id, offset) in a static buffer. */
static const char *
prefix_id(const char *host, const struct fileid *id, uint64_t offset)
{
    static char out[DOCID_LEN + 1];
    struct docid_prefix p;
    docid_prefix_init(&p, host, strlen(host), id);
    docid_prefix_make(&p, offset, out);
    return out;
}

START_TEST(prefix_gives_the_golden_ids)
{
    check_golden_ids(prefix_id);
}
END_TEST

/*
 * Every host length from 0 to 300 (so every alignment of the offset in the
 * 8-byte SipHash words), against the reference definition (ref_id), with
 * one prefix reused for many offsets.
 */
START_TEST(prefix_matches_the_definition_for_every_host_length)
{
    static const uint64_t offsets[] = {
        0,
        1,
        255,
        256,
        UINT64_C(1) << 32,
        UINT64_C(0x8000000000000001),
        UINT64_MAX,
        UINT64_C(0x0102030405060708),
    };
    struct fileid ids[3] = {base_id, {0}, base_id};
    ids[2].generation = 7;
    char host[301];
    for (int i = 0; i < 300; i++)
        host[i] = (char)('a' + (i * 7) % 26);
    char want[DOCID_LEN + 1], got[DOCID_LEN + 2];
    for (size_t len = 0; len <= 300; len++) {
        for (size_t k = 0; k < 3; k++) {
            struct docid_prefix p;
            docid_prefix_init(&p, host, len, &ids[k]);
            for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
                ref_id(host, len, &ids[k], offsets[o], want);
                memset(got, 'X', sizeof(got));
                docid_prefix_make(&p, offsets[o], got);
                /* Plain ifs in the loop: each ck_assert costs a write. */
                if (strcmp(got, want) != 0 || got[DOCID_LEN + 1] != 'X')
                    ck_abort_msg("host length %zu, id %zu, offset %zu: "
                                 "prefix gives %.*s, the definition %s",
                                 len, k, o, DOCID_LEN + 2, got, want);
            }
        }
    }
}
END_TEST

/* A prefix stands for an identity only when every hashed field is equal. */
START_TEST(prefix_matches_only_its_identity)
{
    struct docid_prefix p;
    docid_prefix_init(&p, "web-1", 5, &base_id);
    struct fileid same = base_id; /* another address, the same value */
    ck_assert(docid_prefix_matches(&p, &same));
    struct fileid id = base_id;
    id.dev++;
    ck_assert(!docid_prefix_matches(&p, &id));
    id = base_id;
    id.ino++;
    ck_assert(!docid_prefix_matches(&p, &id));
    id = base_id;
    id.fingerprint++;
    ck_assert(!docid_prefix_matches(&p, &id));
    id = base_id;
    id.fingerprint_len--;
    ck_assert(!docid_prefix_matches(&p, &id));
    id = base_id;
    id.generation++;
    ck_assert(!docid_prefix_matches(&p, &id));
}
END_TEST

static Suite *
check_docid_suite(void)
{
    Suite *s = suite_create("docid");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, siphash_matches_reference_vectors);
    tcase_add_test(tc, golden_ids_are_stable);
    tcase_add_test(tc, id_is_siphash_of_documented_serialisation);
    tcase_add_test(tc, every_input_changes_the_id);
    tcase_add_test(tc, fields_are_not_interchangeable);
    tcase_add_test(tc, long_host_names_are_hashed_whole);
    tcase_add_test(tc, host_is_read_only_to_host_len);
    tcase_add_test(tc, ids_use_base64url_alphabet);
    suite_add_tcase(s, tc);

    tc = tcase_create("prefix");
    tcase_add_test(tc, prefix_gives_the_golden_ids);
    tcase_add_test(tc, prefix_matches_the_definition_for_every_host_length);
    tcase_add_test(tc, prefix_matches_only_its_identity);
    suite_add_tcase(s, tc);

    tc = tcase_create("bulk");
    /* A million hashes and a sort: slow under sanitizers, not a timing test. */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, million_offsets_give_distinct_ids);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(check_docid_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
