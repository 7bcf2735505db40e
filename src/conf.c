/*
 * Top-level configuration: the tables for `service`, `inputs` and `output`,
 * and the binding of the output by its `type`. Everything a module needs
 * from the file is described here or in the module's own table, so
 * `logship check` and the reference text come from the same source.
 */
#include "config.h"
#include "conf.h"

#include "globwalk.h"
#include "log.h"
#include "output.h"
#include "outputs.h"
#include "stages.h"
#include "timefmt_zone.h"
#include "xalloc.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const conf_log_levels[] = {"error", "warn", "info", "debug",
                                              NULL};
static const char *const conf_input_types[] = {"stdin", "file", NULL};
static const char *const conf_read_from[] = {"head", "tail", NULL};

static const struct opt conf_service_options[] = {
    {.name = "workers",
     .type = OPT_INT,
     .def = "0",
     .min = 0,
     .max = 256,
     .offset = offsetof(struct service_conf, workers),
     .help = "worker threads that parse and encode (0: one per core)"},
    {.name = "log_level",
     .type = OPT_ENUM,
     .def = "info",
     .names = conf_log_levels,
     .offset = offsetof(struct service_conf, log_level),
     .help = "error, warn, info or debug"},
    {.name = "grace_period",
     .type = OPT_DURATION,
     .def = "10s",
     .offset = offsetof(struct service_conf, grace_period_ms),
     .help = "on SIGTERM/SIGINT, how long to wait for in-flight events to be "
             "acknowledged before exiting anyway"},
    {.name = "hostname",
     .type = OPT_STRING,
     .offset = offsetof(struct service_conf, hostname),
     .help = "host.name of every event (default: the system's hostname)"},
    {.name = "dead_letter_path",
     .type = OPT_STRING,
     .def = "/var/lib/logship/dead-letter.ndjson",
     .offset = offsetof(struct service_conf, dead_letter_path),
     .help = "NDJSON file of events that could not be shipped, each with "
             "its error (created mode 0600 when first needed)"},
    {.name = "read_buffer_size",
     .type = OPT_SIZE,
     .def = "512KiB",
     .min = 4096,
     .max = 64 * 1048576,
     .offset = offsetof(struct service_conf, read_bytes),
     .help = "size of each read from a file"},
    {.name = "chunks",
     .type = OPT_INT,
     .def = "0",
     .min = 0,
     .max = 1024,
     .offset = offsetof(struct service_conf, chunks),
     .help = "read buffers in flight to the workers (0: 2 per worker + 2)"},
    {.name = "batches",
     .type = OPT_INT,
     .def = "0",
     .min = 0,
     .max = 1024,
     .offset = offsetof(struct service_conf, batches),
     .help = "batches in flight between workers and the output (0: one per "
             "worker + 4); with batch_max_bytes, the memory bound"},
    {0},
};

static const struct opt conf_input_options[] = {
    {.name = "name",
     .type = OPT_STRING,
     .flags = OPT_REQUIRED,
     .offset = offsetof(struct input_conf, name),
     .help = "name of the input, used in logs and by `logship parse --input`"},
    {.name = "type",
     .type = OPT_ENUM,
     .def = "stdin",
     .names = conf_input_types,
     .offset = offsetof(struct input_conf, type),
     .help = "file (tail files named by `paths`) or stdin"},
    {.name = "paths",
     .type = OPT_STRLIST,
     .offset = offsetof(struct input_conf, paths),
     .help = "file: globs of the files to read (`*`, `?`, `[..]`, and `**` "
             "for any depth of directories)"},
    {.name = "exclude",
     .type = OPT_STRLIST,
     .offset = offsetof(struct input_conf, exclude),
     .help = "file: globs of files to leave alone (without a `/`: matched "
             "against the base name, e.g. '*.gz')"},
    {.name = "read_from",
     .type = OPT_ENUM,
     .def = "head",
     .names = conf_read_from,
     .offset = offsetof(struct input_conf, read_from),
     .help = "file: where to start files that are already there at the "
             "first start and not in the registry; files that appear later "
             "are always read from the head"},
    {.name = "scan_interval",
     .type = OPT_DURATION,
     .def = "10s",
     .offset = offsetof(struct input_conf, scan_interval_ms),
     .help = "file: how often to look for new files besides inotify"},
    {.name = "poll",
     .type = OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct input_conf, poll),
     .help = "file: no inotify; check files every poll_interval (NFS)"},
    {.name = "poll_interval",
     .type = OPT_DURATION,
     .def = "1s",
     .offset = offsetof(struct input_conf, poll_interval_ms),
     .help = "file: with poll, how often files are checked for new data"},
    {.name = "close_inactive",
     .type = OPT_DURATION,
     .def = "5m",
     .offset = offsetof(struct input_conf, close_inactive_ms),
     .help = "file: close a file that did not grow for this long (it is "
             "opened again when it changes)"},
    {.name = "rotate_wait",
     .type = OPT_DURATION,
     .def = "5s",
     .offset = offsetof(struct input_conf, rotate_wait_ms),
     .help = "file: a rotated (renamed or deleted) file is closed once read "
             "to its end and quiet this long"},
    {.name = "line_timeout",
     .type = OPT_DURATION,
     .def = "10s",
     .offset = offsetof(struct input_conf, line_timeout_ms),
     .help = "file: a last line without a newline is sent once its file "
             "stopped growing this long"},
    {.name = "max_open_files",
     .type = OPT_INT,
     .def = "1024",
     .min = 1,
     .max = 1000000,
     .offset = offsetof(struct input_conf, max_open_files),
     .help = "file: files open at once; more are read in turns"},
    {.name = "multiline",
     .type = OPT_SECTION,
     .offset = offsetof(struct input_conf, multiline),
     .sub = multiline_options,
     .help = "join continuation lines into one event (start or "
             "continuation regex)"},
    {.name = "fields",
     .type = OPT_STRMAP,
     .offset = offsetof(struct input_conf, fields),
     .help = "static fields added to every event, e.g. service.name"},
    {.name = "parser",
     .type = OPT_STRING,
     .offset = offsetof(struct input_conf, parser),
     .help = "the parser chain: a name from `parsers`, or a built-in format "
             "(apache_combined, nginx_error, syslog, json, logfmt, ...)"},
    {.name = "event_original",
     .type = OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct input_conf, event_original),
     .help = "also keep the raw line in event.original"},
    {.name = "keep_message",
     .type = OPT_BOOL,
     .def = "true",
     .offset = offsetof(struct input_conf, keep_message),
     .help = "false: an event whose parser chain ran with no stage failing "
             "is written without `message` (a `message` field set by a "
             "stage is still written); an event whose chain failed, and "
             "every event of an input without a parser, keeps it, so no "
             "text is lost silently; event_original: true still copies the "
             "line to event.original"},
    {.name = "timezone",
     .type = OPT_STRING,
     .offset = offsetof(struct input_conf, timezone),
     .help = "zone of the times without an offset in this input's lines "
             "(logs written on a machine in another zone), for each time "
             "stage of its parser that names none, built-in formats "
             "included: UTC, +02:00, an IANA name (Europe/Paris) or local "
             "(what those stages assume when this is unset)"},
    {.name = "max_line_bytes",
     .type = OPT_SIZE,
     .def = "1MiB",
     .min = 16,
     .max = 256 * 1048576,
     .offset = offsetof(struct input_conf, max_line_bytes),
     .help = "longer lines are cut to this size and flagged "
             "log.flags: [truncated]"},
    {0},
};

static int conf_bind_output(const struct opt *opt, const struct conf_node *node,
                            void *dst, const struct opt_ctx *ctx);
static void conf_fini_output(void *dst);

static const struct opt_custom conf_output_custom = {
    .bind = conf_bind_output,
    .fini = conf_fini_output,
    .type_name = "mapping with a type",
};

static int conf_bind_parsers(const struct opt *opt,
                             const struct conf_node *node, void *dst,
                             const struct opt_ctx *ctx);
static void conf_fini_parsers(void *dst);

static const struct opt_custom conf_parsers_custom = {
    .bind = conf_bind_parsers,
    .fini = conf_fini_parsers,
    .type_name = "mapping of parser names to lists of stages",
};

static const struct opt conf_registry_options[] = {
    {.name = "path",
     .type = OPT_STRING,
     .def = "/var/lib/logship/registry.json",
     .offset = offsetof(struct registry_conf, path),
     .help = "the registry file: per file, the offset up to which every "
             "event was acknowledged (saved atomically, mode 0600)"},
    {.name = "flush_interval",
     .type = OPT_DURATION,
     .def = "1s",
     .offset = offsetof(struct registry_conf, flush_interval_ms),
     .help = "how often acknowledged offsets are saved (and at shutdown)"},
    {.name = "prune_after",
     .type = OPT_DURATION,
     .def = "72h",
     .offset = offsetof(struct registry_conf, prune_after_ms),
     .help = "forget files gone for this long"},
    {0},
};

const struct opt conf_options[] = {
    {.name = "registry",
     .type = OPT_SECTION,
     .offset = offsetof(struct conf, registry),
     .sub = conf_registry_options,
     .help = "where reading progress is kept"},
    {.name = "parsers",
     .type = OPT_CUSTOM,
     .offset = offsetof(struct conf, parsers),
     .custom = &conf_parsers_custom,
     .help = "named parser chains: `name: [ {grok: {...}}, {time: {...}} ]`"},
    {.name = "service",
     .type = OPT_SECTION,
     .offset = offsetof(struct conf, service),
     .sub = conf_service_options,
     .help = "process-wide settings"},
    {.name = "inputs",
     .type = OPT_SECTION_LIST,
     .offset = offsetof(struct conf, inputs),
     .sub = conf_input_options,
     .sub_size = sizeof(struct input_conf),
     .help = "where events come from"},
    {.name = "output",
     .type = OPT_CUSTOM,
     .def = NULL,
     .offset = offsetof(struct conf, output),
     .custom = &conf_output_custom,
     .help = "where events go: `type: elasticsearch`, `stdout` or `file` "
             "(default stdout)"},
    {0},
};

static int
conf_bind_parsers(const struct opt *opt, const struct conf_node *node,
                  void *dst, const struct opt_ctx *ctx)
{
    struct chainset **set = dst;
    if (*set == NULL)
        *set = xcalloc(1, sizeof(**set));
    return chainset_custom.bind(opt, node, *set, ctx);
}

static void
conf_fini_parsers(void *dst)
{
    struct chainset **set = dst;
    if (*set != NULL) {
        chainset_fini(*set);
        free(*set);
        *set = NULL;
    }
}

static int
conf_bind_output(const struct opt *opt, const struct conf_node *node, void *dst,
                 const struct opt_ctx *ctx)
{
    struct output_spec *spec = dst;
    if (node->kind != CONF_MAP)
        return options_error(ctx, node, opt->name,
                             "expected a mapping, got a %s",
                             conftree_kind_name(node->kind));
    const struct conf_node *type = conftree_get(node, "type");
    if (type == NULL)
        return options_error(ctx, node, "output.type",
                             "required key is missing");
    if (type->kind != CONF_SCALAR)
        return options_error(ctx, type, "output.type", "expected a string");
    spec->type = outputs_find(type->value);
    if (spec->type == NULL)
        return options_error(ctx, type, "output.type",
                             "unknown output type \"%s\" (known: %s)",
                             type->value, outputs_names());
    spec->conf = xcalloc(1, spec->type->conf_size);
    struct opt_ctx sub = *ctx;
    sub.path = "output";
    if (options_bind(spec->type->options, node, spec->conf, &sub) > 0)
        return -EINVAL;
    struct errbuf err;
    if (spec->type->check != NULL && spec->type->check(spec->conf, &err) < 0)
        return options_error(ctx, node, "output", "%s", err.msg);
    return 0;
}

static void
conf_fini_output(void *dst)
{
    struct output_spec *spec = dst;
    if (spec->type != NULL && spec->conf != NULL) {
        options_fini(spec->type->options, spec->conf);
        free(spec->conf);
    }
    spec->type = NULL;
    spec->conf = NULL;
}

/* Without an output section, events go to stdout. */
static void
conf_default_output(struct conf *conf)
{
    if (conf->output.type != NULL)
        return;
    conf->output.type = outputs_find("stdout");
    conf->output.conf = xcalloc(1, conf->output.type->conf_size);
    options_defaults(conf->output.type->options, conf->output.conf);
    struct output_common *common = conf->output.conf;
    free(common->type);
    common->type = xstrdup("stdout");
}

/* Input names must be unique: `parse --input` and the logs name them. */
static void
conf_check_inputs(struct conf *conf, struct errlist *errs)
{
    const struct input_conf *in = conf->inputs.items;
    const struct conf_node *list = conftree_get(conf->tree->root, "inputs");
    for (size_t i = 0; i < conf->inputs.count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (in[i].name == NULL || in[j].name == NULL ||
                strcmp(in[i].name, in[j].name) != 0)
                continue;
            const struct conf_node *name =
                conftree_get(list->children[i], "name");
            errlist_add(errs,
                        "%s:%u:%u: inputs[%zu].name: \"%s\" is already the "
                        "name of inputs[%zu]",
                        conf->path, name->line, name->column, i, in[i].name, j);
        }
    }
}

/* True when zone loads; else an error at the input's `timezone`. */
static bool
conf_zone_ok(const char *zone, const struct opt_ctx *ctx,
             const struct conf_node *input)
{
    struct errbuf why;
    struct timefmt_zone *z = timefmt_zone_load(zone, &why);
    if (z == NULL) {
        options_error(ctx, conftree_get(input, "timezone"), "timezone", "%s",
                      why.msg);
        return false;
    }
    timefmt_zone_destroy(z);
    return true;
}

/* Points each input at its chain; unknown names are errors at `parser`. */
static void
conf_resolve_parsers(struct conf *conf, struct errlist *errs)
{
    if (conf->parsers == NULL)
        conf->parsers = xcalloc(1, sizeof(*conf->parsers));
    struct input_conf *in = conf->inputs.items;
    const struct conf_node *list = conftree_get(conf->tree->root, "inputs");
    for (size_t i = 0; i < conf->inputs.count; i++) {
        if (in[i].parser == NULL)
            continue;
        char *path = xasprintf("inputs[%zu]", i);
        struct opt_ctx ctx = {.errs = errs, .path = path, .file = conf->path};
        const struct conf_node *node =
            conftree_get(list->children[i], "parser");
        if (in[i].timezone != NULL &&
            !conf_zone_ok(in[i].timezone, &ctx, list->children[i])) {
            free(path);
            continue;
        }
        free(path);
        path = xasprintf("inputs[%zu].parser", i);
        ctx.path = path;
        in[i].chain = chainset_resolve(conf->parsers, in[i].parser,
                                       in[i].timezone, node, &ctx);
        free(path);
    }
}

/* A file input needs paths that compile, and a multiline rule that does. */
static void
conf_check_file_input(struct conf *conf, size_t i, struct errlist *errs)
{
    const struct input_conf *in =
        (const struct input_conf *)conf->inputs.items + i;
    const struct conf_node *list = conftree_get(conf->tree->root, "inputs");
    const struct conf_node *node = list->children[i];
    char *path = xasprintf("inputs[%zu]", i);
    struct opt_ctx ctx = {.errs = errs, .path = path, .file = conf->path};
    struct errbuf err;
    if (in->paths.count == 0) {
        options_error(&ctx, node, "paths", "a file input needs paths");
    } else {
        struct globwalk *g = globwalk_create(&in->paths, &in->exclude, &err);
        if (g == NULL)
            options_error(&ctx, conftree_get(node, "paths"), "paths", "%s",
                          err.msg);
        globwalk_destroy(g);
    }
    const struct multiline_conf *ml = &in->multiline;
    if (ml->start != NULL || ml->continuation != NULL || ml->negate) {
        struct multiline *m = multiline_create(ml, &err);
        if (m == NULL)
            options_error(&ctx, conftree_get(node, "multiline"), "multiline",
                          "%s", err.msg);
        multiline_destroy(m);
    }
    free(path);
}

void
conf_input_defaults(struct input_conf *ic)
{
    memset(ic, 0, sizeof(*ic));
    options_defaults(conf_input_options, ic);
}

static struct conf *
conf_bind(struct conf_tree *tree, const char *path, struct errlist *errs)
{
    struct conf *conf = xcalloc(1, sizeof(*conf));
    conf->path = xstrdup(path);
    conf->tree = tree;
    size_t before = errs->count;
    struct opt_ctx ctx = {.errs = errs, .path = "", .file = conf->path};
    options_bind(conf_options, tree ? tree->root : NULL, conf, &ctx);
    conf_check_inputs(conf, errs);
    bool bound = errs->count == before;
    for (size_t i = 0; bound && i < conf->inputs.count; i++) {
        if (((struct input_conf *)conf->inputs.items)[i].type == INPUT_FILE)
            conf_check_file_input(conf, i, errs);
    }
    if (errs->count == before)
        conf_resolve_parsers(conf, errs);
    conf_default_output(conf);
    if (errs->count > before) {
        conf_destroy(conf);
        return NULL;
    }
    return conf;
}

struct conf *
conf_load(const char *path, struct errlist *errs)
{
    struct conf_tree *tree = conftree_load_file(path, errs);
    if (tree == NULL)
        return NULL;
    return conf_bind(tree, path, errs);
}

struct conf *
conf_load_string(const char *name, const char *text, struct errlist *errs)
{
    struct conf_tree *tree =
        conftree_load_string(name, text, strlen(text), errs);
    if (tree == NULL)
        return NULL;
    return conf_bind(tree, name, errs);
}

void
conf_destroy(struct conf *conf)
{
    if (conf == NULL)
        return;
    options_fini(conf_options, conf);
    conftree_destroy(conf->tree);
    free(conf->path);
    free(conf);
}

const struct input_conf *
conf_input(const struct conf *conf, const char *name)
{
    const struct input_conf *in = conf->inputs.items;
    for (size_t i = 0; i < conf->inputs.count; i++) {
        if (strcmp(in[i].name, name) == 0)
            return &in[i];
    }
    return NULL;
}
