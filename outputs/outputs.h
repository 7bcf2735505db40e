/*
 * The static table of output types (tmux's cmd_table[] shape): the only
 * place that knows every output, so adding one is one line here.
 */
#ifndef LOGSHIP_OUTPUTS_H
#define LOGSHIP_OUTPUTS_H

#include "output.h"

extern const struct output_type output_stdout;
extern const struct output_type output_file;
extern const struct output_type output_elasticsearch;

/* NULL-terminated list of every output type. */
extern const struct output_type *const outputs_table[];

/* Returns the output type called name, or NULL. */
const struct output_type *outputs_find(const char *name);
/* "stdout, file": the known names, for messages. */
const char *outputs_names(void);

#endif
