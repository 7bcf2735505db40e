/*
 * Output type lookup by the name written in the configuration.
 */
#include "config.h"
#include "outputs.h"

#include <string.h>

const struct output_type *const outputs_table[] = {
    &output_stdout,
    &output_file,
    &output_elasticsearch,
    NULL,
};

const struct output_type *
outputs_find(const char *name)
{
    for (size_t i = 0; outputs_table[i] != NULL; i++) {
        if (strcmp(outputs_table[i]->name, name) == 0)
            return outputs_table[i];
    }
    return NULL;
}

const char *
outputs_names(void)
{
    return "stdout, file, elasticsearch";
}
