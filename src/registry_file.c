/*
 * The registry file: the JSON format (load with a fallback to the backup,
 * and format) and the atomic write. Runs on registry_open()'s thread for
 * loading and under the save lock for writing; never takes reg->lock.
 *
 * Format: {"version": 1, "entries": [{"path": ..., "dev": ..., ...}]}.
 * Numbers past json_int_t (2^63 and up) are written as decimal strings,
 * hashes as 16 lower-case hex digits, and a path that is not UTF-8 (Linux
 * paths are bytes) as "path_hex". Any bad entry makes the whole file bad:
 * half a registry would re-read the files it lost from their start.
 *
 * Writing keeps <path> complete and valid at every instant:
 *   1. write <path>.tmp (mode 0600), fsync it;
 *   2. if <path> is a registry we loaded or wrote: link it as
 *      <path>.bak.tmp, rename that over <path>.bak, fsync the directory;
 *   3. rename <path>.tmp over <path>, fsync the directory.
 * A crash in 1 leaves a partial .tmp that nothing reads (the next save
 * truncates it). In 2 <path> is untouched, and rename(2) replaces .bak
 * with a second name of the already durable <path> in one step. rename(2)
 * in 3 switches <path> from one complete file to another. So <path> is
 * never partial, and .bak (the save before last) is complete too: it is
 * there for when <path> is damaged by something else (a disk error, a hand
 * edit). A <path> found corrupt at load is never linked over .bak: the
 * backup it fell back to stays until a good <path> has been written.
 *
 * One process per registry: registry_open() takes flock(LOCK_EX|LOCK_NB)
 * on <path>.lock before loading, and the lock lasts until registry_close()
 * closes the descriptor (or the kernel does, when the process dies, even
 * by SIGKILL). The lock file is never removed: removing it would let a
 * second process lock a new file of the same name while the first still
 * holds the old one. Its content, the holder's pid, is for the message only.
 */
#include "config.h"
#include "registry_int.h"

#include "log.h"
#include "xalloc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REGISTRY_FILE_WHO          "registry"
#define REGISTRY_FILE_HASH_HEX_LEN 16
#define REGISTRY_FILE_READ_CHUNK   65536
#define REGISTRY_FILE_PID_TEXT_LEN 24 /* a decimal pid, '\n' and NUL */

/* ---- loading ---- */

enum registry_file_field_kind { REGISTRY_FILE_U64, REGISTRY_FILE_HASH };

enum registry_file_field_id {
    RF_DEV,
    RF_INO,
    RF_FINGERPRINT,
    RF_FINGERPRINT_LEN,
    RF_GENERATION,
    RF_OFFSET,
    RF_CHECK_HASH,
    RF_CHECK_LEN,
    RF_UPDATED,
    RF_GONE_SINCE,
    RF_COUNT
};

struct registry_file_field {
    const char *key;
    enum registry_file_field_kind kind;
    uint64_t max; /* for REGISTRY_FILE_U64 */
};

/* The numeric keys of an entry; "path" (or "path_hex") and "gz" aside. */
static const struct registry_file_field registry_file_fields[RF_COUNT] = {
    [RF_DEV] = {"dev", REGISTRY_FILE_U64, UINT64_MAX},
    [RF_INO] = {"ino", REGISTRY_FILE_U64, UINT64_MAX},
    [RF_FINGERPRINT] = {"fingerprint", REGISTRY_FILE_HASH, 0},
    [RF_FINGERPRINT_LEN] = {"fingerprint_len", REGISTRY_FILE_U64,
                            FILEID_FP_BYTES},
    [RF_GENERATION] = {"generation", REGISTRY_FILE_U64, UINT32_MAX},
    [RF_OFFSET] = {"offset", REGISTRY_FILE_U64, UINT64_MAX},
    [RF_CHECK_HASH] = {"check_hash", REGISTRY_FILE_HASH, 0},
    [RF_CHECK_LEN] = {"check_len", REGISTRY_FILE_U64, REGISTRY_CHECK_BYTES},
    [RF_UPDATED] = {"updated", REGISTRY_FILE_U64, INT64_MAX},
    [RF_GONE_SINCE] = {"gone_since", REGISTRY_FILE_U64, INT64_MAX},
};

/*
 * Reads an unsigned number: a JSON integer, or a decimal string for values
 * past json_int_t (what registry_file_json_u64 writes). Returns 0 or -EINVAL.
 */
static int
registry_file_parse_u64(const json_t *v, uint64_t max, uint64_t *out)
{
    uint64_t n;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0)
            return -EINVAL;
        n = (uint64_t)i;
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        if (s[0] < '0' || s[0] > '9')
            return -EINVAL;
        errno = 0;
        unsigned long long u = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
            return -EINVAL;
        n = (uint64_t)u;
    } else {
        return -EINVAL;
    }
    if (n > max)
        return -EINVAL;
    *out = n;
    return 0;
}

/* The value of a lower-case hex digit, or -1. */
static int
registry_file_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int
registry_file_parse_hash(const json_t *v, uint64_t *out)
{
    if (!json_is_string(v) ||
        json_string_length(v) != REGISTRY_FILE_HASH_HEX_LEN)
        return -EINVAL;
    const char *s = json_string_value(v);
    uint64_t h = 0;
    for (size_t i = 0; i < REGISTRY_FILE_HASH_HEX_LEN; i++) {
        int d = registry_file_hex_digit((unsigned char)s[i]);
        if (d < 0)
            return -EINVAL;
        h = h << 4 | (uint64_t)d;
    }
    *out = h;
    return 0;
}

/* Decodes "path_hex" (what registry_file_json_path writes). */
static char *
registry_file_parse_hex_path(const json_t *v)
{
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n % 2 != 0)
        return NULL;
    char *path = xmalloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = registry_file_hex_digit((unsigned char)s[2 * i]);
        int lo = registry_file_hex_digit((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi | lo) == 0) {
            free(path);
            return NULL;
        }
        path[i] = (char)(hi << 4 | lo);
    }
    path[n / 2] = '\0';
    return path;
}

/* Reads "path" or "path_hex" into e->path; returns 0 or -EINVAL. */
static int
registry_file_parse_path(const json_t *obj, size_t index,
                         struct registry_entry *e, struct errbuf *err)
{
    const json_t *v = json_object_get(obj, "path");
    if (v != NULL) {
        /* No NUL inside: json_loadb() rejects \u0000 by default. */
        if (!json_is_string(v) || json_string_length(v) == 0)
            return errbuf_set(
                err, "entries[%zu].path: expected a non-empty string", index);
        e->path = xstrdup(json_string_value(v));
        return 0;
    }
    v = json_object_get(obj, "path_hex");
    if (v == NULL)
        return errbuf_set(err, "entries[%zu].path: missing", index);
    e->path = registry_file_parse_hex_path(v);
    if (e->path == NULL)
        return errbuf_set(err,
                          "entries[%zu].path_hex: expected pairs of hex "
                          "digits",
                          index);
    return 0;
}

/* Reads the numeric fields of entry index into vals; 0 or -EINVAL. */
static int
registry_file_parse_fields(const json_t *obj, size_t index, uint64_t *vals,
                           struct errbuf *err)
{
    for (size_t f = 0; f < RF_COUNT; f++) {
        const struct registry_file_field *rf = &registry_file_fields[f];
        const json_t *v = json_object_get(obj, rf->key);
        if (v == NULL)
            return errbuf_set(err, "entries[%zu].%s: missing", index, rf->key);
        if (rf->kind == REGISTRY_FILE_HASH) {
            if (registry_file_parse_hash(v, &vals[f]) < 0)
                return errbuf_set(err,
                                  "entries[%zu].%s: expected %d lower-case "
                                  "hex digits",
                                  index, rf->key, REGISTRY_FILE_HASH_HEX_LEN);
        } else if (registry_file_parse_u64(v, rf->max, &vals[f]) < 0) {
            return errbuf_set(err,
                              "entries[%zu].%s: expected an integer from 0 "
                              "to %" PRIu64,
                              index, rf->key, rf->max);
        }
    }
    if (vals[RF_CHECK_LEN] > vals[RF_OFFSET])
        return errbuf_set(err, "entries[%zu].check_len: greater than offset",
                          index);
    return 0;
}

/* Makes an entry from entries[index]; NULL with err filled if invalid. */
static struct registry_entry *
registry_file_entry_from_json(const json_t *obj, size_t index,
                              struct errbuf *err)
{
    uint64_t vals[RF_COUNT];
    if (!json_is_object(obj)) {
        errbuf_set(err, "entries[%zu]: expected an object", index);
        return NULL;
    }
    if (registry_file_parse_fields(obj, index, vals, err) < 0)
        return NULL;
    const json_t *gz = json_object_get(obj, "gz");
    if (!json_is_boolean(gz)) {
        errbuf_set(err, "entries[%zu].gz: expected true or false", index);
        return NULL;
    }
    struct registry_entry *e = xcalloc(1, sizeof(*e));
    if (registry_file_parse_path(obj, index, e, err) < 0) {
        registry_entry_free(e);
        return NULL;
    }
    e->id.dev = vals[RF_DEV];
    e->id.ino = vals[RF_INO];
    e->id.fingerprint = vals[RF_FINGERPRINT];
    e->id.fingerprint_len = (uint32_t)vals[RF_FINGERPRINT_LEN];
    e->id.generation = (uint32_t)vals[RF_GENERATION];
    e->offset = vals[RF_OFFSET];
    e->check.hash = vals[RF_CHECK_HASH];
    e->check.len = (uint32_t)vals[RF_CHECK_LEN];
    e->updated_s = (int64_t)vals[RF_UPDATED];
    e->gone_since_s = (int64_t)vals[RF_GONE_SINCE];
    e->gz = json_is_true(gz);
    return e;
}

/*
 * Checks the document and makes its entries into *list (owned by the
 * caller). Returns the count, or -EINVAL with err filled.
 */
static ssize_t
registry_file_parse_doc(const json_t *root, struct registry_entry ***list,
                        struct errbuf *err)
{
    if (!json_is_object(root))
        return errbuf_set(err, "expected a JSON object");
    const json_t *version = json_object_get(root, "version");
    if (!json_is_integer(version))
        return errbuf_set(err, "version: expected an integer");
    if (json_integer_value(version) != REGISTRY_VERSION)
        return errbuf_set(err,
                          "version %" JSON_INTEGER_FORMAT
                          " is not supported (expected %d)",
                          json_integer_value(version), REGISTRY_VERSION);
    const json_t *entries = json_object_get(root, "entries");
    if (!json_is_array(entries))
        return errbuf_set(err, "entries: expected an array");
    size_t count = json_array_size(entries);
    struct registry_entry **out = xcalloc(count ? count : 1, sizeof(*out));
    for (size_t i = 0; i < count; i++) {
        out[i] =
            registry_file_entry_from_json(json_array_get(entries, i), i, err);
        if (out[i] == NULL) {
            registry_free_list(out, i);
            return -EINVAL;
        }
    }
    *list = out;
    return (ssize_t)count;
}

/* Reads all of name (in dir_fd) into *data (owned by the caller). */
static int
registry_file_slurp(int dir_fd, const char *name, char **data, size_t *len)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    size_t cap = REGISTRY_FILE_READ_CHUNK;
    size_t n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int rc = -errno;
            close(fd);
            free(buf);
            return rc;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = n;
    return 0;
}

/* Copies jansson's message, replacing bytes that are not printable ASCII
 * (a binary file's bytes show up in its "near '...'" part). */
static void
registry_file_clean_text(const char *in, char *out, size_t len)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < len; i++)
        out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
    out[i] = '\0';
}

/*
 * Parses the registry file name into *list. Returns the entry count,
 * -ENOENT when it does not exist, or another -errno / -EINVAL with err
 * saying what is wrong.
 */
static ssize_t
registry_file_load_one(const struct registry *reg, const char *name,
                       struct registry_entry ***list, struct errbuf *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = registry_file_slurp(reg->dir_fd, name, &data, &len);
    if (rc == -ENOENT)
        return rc;
    if (rc < 0) {
        char ebuf[128];
        errbuf_set(err, "cannot read: %s",
                   log_strerror(rc, ebuf, sizeof(ebuf)));
        return rc;
    }
    ssize_t count = -EINVAL;
    json_error_t jerr;
    json_t *root = NULL;
    if (len == 0) {
        errbuf_set(err, "empty file");
        goto out;
    }
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        char text[JSON_ERROR_TEXT_LENGTH];
        registry_file_clean_text(jerr.text, text, sizeof(text));
        errbuf_set(err, "invalid JSON at line %d column %d: %s", jerr.line,
                   jerr.column, text);
        goto out;
    }
    count = registry_file_parse_doc(root, list, err);
out:
    json_decref(root);
    free(data);
    return count;
}

void
registry_file_load(struct registry *reg)
{
    struct registry_entry **list = NULL;
    struct errbuf why;
    int64_t now = time(NULL);
    ssize_t n = registry_file_load_one(reg, reg->name, &list, &why);
    if (n >= 0) {
        /* Not inside the log call: its arguments go unevaluated below
         * log_max_level. */
        size_t kept = registry_adopt(reg, list, (size_t)n, now);
        reg->path_valid = true;
        log_info(REGISTRY_FILE_WHO, "%s: loaded %zu entries", reg->path, kept);
        return;
    }
    if (n == -ENOENT) {
        log_info(REGISTRY_FILE_WHO, "%s: not found; starting with no offsets",
                 reg->path);
        return;
    }
    log_error(REGISTRY_FILE_WHO, "%s: %s; trying the backup %s.bak", reg->path,
              why.msg, reg->path);
    n = registry_file_load_one(reg, reg->name_bak, &list, &why);
    if (n >= 0) {
        size_t kept = registry_adopt(reg, list, (size_t)n, now);
        log_warn(REGISTRY_FILE_WHO,
                 "%s.bak: loaded %zu entries (the save before last: lines "
                 "acknowledged since may be sent again)",
                 reg->path, kept);
        return;
    }
    if (n == -ENOENT)
        snprintf(why.msg, sizeof(why.msg), "not found");
    log_error(REGISTRY_FILE_WHO,
              "%s.bak: %s; starting with no offsets: files are read as "
              "if never seen",
              reg->path, why.msg);
}

/* ---- formatting ---- */

/* An unsigned number as JSON: an integer while json_int_t holds it. */
static json_t *
registry_file_json_u64(uint64_t v)
{
    if (v <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)v);
    char s[24];
    snprintf(s, sizeof(s), "%" PRIu64, v);
    return json_string(s);
}

static json_t *
registry_file_json_hash(uint64_t h)
{
    char s[REGISTRY_FILE_HASH_HEX_LEN + 1];
    snprintf(s, sizeof(s), "%016" PRIx64, h);
    return json_string(s);
}

/* Sets "path", or "path_hex" when the path is not UTF-8 (JSON can't say
 * it, and Linux paths are bytes). */
static void
registry_file_json_path(json_t *obj, const char *path)
{
    json_t *s = json_string(path);
    if (s != NULL) {
        json_object_set_new(obj, "path", s);
        return;
    }
    size_t n = strlen(path);
    char *hex = xmalloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)path[i]);
    json_object_set_new(obj, "path_hex", json_string(hex));
    free(hex);
}

static json_t *
registry_file_entry_json(const struct registry_entry *e)
{
    const uint64_t vals[RF_COUNT] = {
        [RF_DEV] = e->id.dev,
        [RF_INO] = e->id.ino,
        [RF_FINGERPRINT] = e->id.fingerprint,
        [RF_FINGERPRINT_LEN] = e->id.fingerprint_len,
        [RF_GENERATION] = e->id.generation,
        [RF_OFFSET] = e->offset,
        [RF_CHECK_HASH] = e->check.hash,
        [RF_CHECK_LEN] = e->check.len,
        [RF_UPDATED] = (uint64_t)(e->updated_s > 0 ? e->updated_s : 0),
        [RF_GONE_SINCE] = (uint64_t)(e->gone_since_s > 0 ? e->gone_since_s : 0),
    };
    json_t *obj = json_object();
    registry_file_json_path(obj, e->path);
    for (size_t f = 0; f < RF_COUNT; f++) {
        const struct registry_file_field *rf = &registry_file_fields[f];
        json_object_set_new(obj, rf->key,
                            rf->kind == REGISTRY_FILE_HASH
                                ? registry_file_json_hash(vals[f])
                                : registry_file_json_u64(vals[f]));
    }
    json_object_set_new(obj, "gz", json_boolean(e->gz));
    return obj;
}

char *
registry_file_format(const struct registry_entry *entries, size_t count)
{
    json_t *array = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(array, registry_file_entry_json(&entries[i]));
    json_t *root = json_object();
    json_object_set_new(root, "version", json_integer(REGISTRY_VERSION));
    json_object_set_new(root, "entries", array);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    assert(text != NULL); /* every string in it came from json_string() */
    return text;
}

/* ---- writing ---- */

/* Writes all of data to fd; returns 0 or -errno. */
static int
registry_file_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Step 1: <path>.tmp holds text, durably. Sets *step on failure. */
static int
registry_file_write_tmp(struct registry *reg, const char *text,
                        const char **step)
{
    *step = "creating the .tmp file";
    int fd =
        openat(reg->dir_fd, reg->name_tmp,
               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    int rc = 0;
    /* A leftover .tmp keeps its old mode through O_TRUNC. */
    if (fchmod(fd, 0600) < 0)
        rc = -errno;
    *step = "writing the .tmp file";
    if (rc == 0)
        rc = registry_file_write_all(fd, text, strlen(text));
    if (rc == 0)
        rc = registry_file_write_all(fd, "\n", 1);
    *step = "syncing the .tmp file";
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    return rc;
}

/* Step 2: <path>.bak becomes the current <path>, atomically. */
static int
registry_file_backup(struct registry *reg)
{
    if (unlinkat(reg->dir_fd, reg->name_bak_tmp, 0) < 0 && errno != ENOENT)
        return -errno;
    if (linkat(reg->dir_fd, reg->name, reg->dir_fd, reg->name_bak_tmp, 0) < 0)
        return -errno;
    if (renameat(reg->dir_fd, reg->name_bak_tmp, reg->dir_fd, reg->name_bak) <
        0)
        return -errno;
    if (fsync(reg->dir_fd) < 0)
        return -errno;
    return 0;
}

int
registry_file_write(struct registry *reg, const char *text, const char **step)
{
    int rc = registry_file_write_tmp(reg, text, step);
    if (rc < 0)
        return rc;
    if (reg->path_valid) {
        int brc = registry_file_backup(reg);
        if (brc < 0 && brc != reg->backup_err)
            LOG_AT(LL_WARN, REGISTRY_FILE_WHO, brc,
                   "%s.bak: not refreshed (the older backup stays)", reg->path);
        reg->backup_err = brc;
    }
    *step = "renaming the .tmp file over it";
    if (renameat(reg->dir_fd, reg->name_tmp, reg->dir_fd, reg->name) < 0)
        return -errno;
    reg->path_valid = true;
    *step = "syncing its directory";
    if (fsync(reg->dir_fd) < 0)
        return -errno;
    return 0;
}

/* ---- the lock ---- */

/* The pid the holder of the lock file fd wrote into it, or 0 when there is
 * none yet (the holder truncates, then writes). */
static long
registry_file_lock_holder(int fd)
{
    char text[REGISTRY_FILE_PID_TEXT_LEN];
    ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    char *end;
    errno = 0;
    long pid = strtol(text, &end, 10);
    if (errno != 0 || end == text || pid <= 0 || (*end != '\n' && *end != '\0'))
        return 0;
    return pid;
}

/* Replaces the content of the lock file fd (which we hold) with our pid. */
static int
registry_file_lock_write_pid(int fd)
{
    char text[REGISTRY_FILE_PID_TEXT_LEN];
    int len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0)
        return -errno;
    return registry_file_write_all(fd, text, (size_t)len);
}

/* Fills err for a lock held by another open file description. */
static int
registry_file_lock_busy(const struct registry *reg, struct errbuf *err)
{
    long pid = registry_file_lock_holder(reg->lock_fd);
    char who[REGISTRY_FILE_PID_TEXT_LEN + 8] = "";
    if (pid > 0)
        snprintf(who, sizeof(who), " (pid %ld)", pid);
    return errbuf_set(err,
                      "registry %s is in use by another logship process%s;"
                      " two instances sharing a registry would ship lines "
                      "twice",
                      reg->path, who);
}

int
registry_file_lock(struct registry *reg, struct errbuf *err)
{
    char ebuf[128];
    reg->lock_fd =
        openat(reg->dir_fd, reg->name_lock,
               O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (reg->lock_fd < 0) {
        int e = errno;
        return errbuf_set(err, "registry lock file '%s.lock': %s%s", reg->path,
                          log_strerror(e, ebuf, sizeof(ebuf)),
                          e == EACCES || e == EROFS
                              ? " (logship needs write access to the "
                                "registry's directory)"
                              : "");
    }
    int rc;
    do {
        rc = flock(reg->lock_fd, LOCK_EX | LOCK_NB);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno == EWOULDBLOCK)
        return registry_file_lock_busy(reg, err);
    if (rc < 0)
        return errbuf_set(err, "registry lock file '%s.lock': flock: %s",
                          reg->path, log_strerror(errno, ebuf, sizeof(ebuf)));
    rc = registry_file_lock_write_pid(reg->lock_fd);
    if (rc < 0) /* the lock is what counts: the pid only helps a message */
        LOG_AT(LL_WARN, REGISTRY_FILE_WHO, rc,
               "%s.lock: locked, but our pid is not written into it",
               reg->path);
    return 0;
}
