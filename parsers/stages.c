/*
 * The static table of parser stage types, looked up by the name written in
 * the configuration. Adding a stage type is one line here.
 */
#include "config.h"

#include "stages.h"

#include <string.h>

const struct stage_type *const stages_table[] = {
    &stage_regex, &stage_grok,    &stage_json,   &stage_kv,
    &stage_time,  &stage_set,     &stage_rename, &stage_remove,
    &stage_copy,  &stage_convert, &stage_drop,   NULL,
};

const struct stage_type *
stages_find(const char *name)
{
    for (size_t i = 0; stages_table[i] != NULL; i++) {
        if (strcmp(stages_table[i]->name, name) == 0)
            return stages_table[i];
    }
    return NULL;
}
