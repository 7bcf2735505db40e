/*
 * The loaded configuration: the option tables of the top-level sections
 * (service, inputs, output) and the bound structs. Loaded once on the main
 * thread before any other starts; read-only afterwards.
 */
#ifndef LOGSHIP_CONF_H
#define LOGSHIP_CONF_H

#include "conftree.h"
#include "errbuf.h"
#include "multiline.h"
#include "options.h"

#include <stdbool.h>
#include <stdint.h>

struct output_type;

struct service_conf {
    int64_t workers; /* 0: one per core */
    int log_level;   /* enum log_level */
    int64_t grace_period_ms;
    char *hostname; /* owned; NULL: gethostname() */
    uint64_t read_bytes;
    int64_t chunks;  /* chunks in flight between inputs and workers */
    int64_t batches; /* batches in flight between workers and the output */
    char *dead_letter_path; /* owned */
};

enum input_kind { INPUT_STDIN, INPUT_FILE };

enum input_read_from { READ_FROM_HEAD, READ_FROM_TAIL };

struct chain;
struct chainset;

struct input_conf {
    char *name;              /* owned */
    int type;                /* enum input_kind */
    struct strmap fields;    /* static fields added to every event */
    uint64_t max_line_bytes; /* longer lines are truncated and flagged */
    char *parser;            /* owned: name of the parser chain, or NULL */
    bool event_original;     /* keep the raw line in event.original */
    bool keep_message;       /* false: no `message` after a clean parse */
    char
        *timezone; /* owned: default zone of the chain's time stages, or NULL */
    const struct chain *chain; /* borrowed from conf->parsers; NULL: none */
    /* type: file */
    struct strlist paths;
    struct strlist exclude;
    int read_from; /* enum input_read_from: for files there at first start */
    int64_t scan_interval_ms;
    bool poll;
    int64_t poll_interval_ms;
    int64_t close_inactive_ms;
    int64_t rotate_wait_ms;
    int64_t line_timeout_ms;
    int64_t max_open_files;
    struct multiline_conf multiline;
};

struct output_spec {
    const struct output_type *type; /* borrowed: static table */
    void *conf;                     /* owned: bound with type->options */
};

struct registry_conf {
    char *path; /* owned */
    int64_t flush_interval_ms;
    int64_t prune_after_ms;
};

struct conf {
    char *path;             /* owned: the file loaded, for messages */
    struct conf_tree *tree; /* owned */
    struct service_conf service;
    struct registry_conf registry;
    struct chainset *parsers; /* owned: named chains and built-ins used */
    struct seclist inputs;    /* struct input_conf */
    struct output_spec output;
};

extern const struct opt conf_options[];

/*
 * Loads and binds path. Every problem is added to errs; returns NULL if
 * there was any.
 */
struct conf *conf_load(const char *path, struct errlist *errs);
/* Binds a YAML text (tests, and `logship parse` with no file). */
struct conf *conf_load_string(const char *name, const char *text,
                              struct errlist *errs);
void conf_destroy(struct conf *conf);
/*
 * Fills ic with every input option's default (name NULL); for the bare
 * input of `logship parse --parser`, so it behaves like a configured one.
 */
void conf_input_defaults(struct input_conf *ic);

/* Returns the input named name, or NULL. */
const struct input_conf *conf_input(const struct conf *conf, const char *name);

#endif
