/*
 * The built-in formats: parser chains every user gets by name
 * (`parser: apache_combined`), written in the same YAML as user chains and
 * bound the same way when an input first names one. They produce ECS field
 * names so Kibana's views work; the grok patterns they use are in
 * conf/patterns/ (embedded in the binary).
 */
#include "config.h"

#include "stages.h"

const char chain_builtin_yaml[] = "apache_combined:\n"
                                  "  - grok:\n"
                                  "      pattern: '%{HTTPD_COMBINEDLOG}'\n"
                                  "  - time:\n"
                                  "      field: timestamp\n"
                                  "      formats: ['%d/%b/%Y:%H:%M:%S %z']\n"
                                  "      remove_field: true\n";

const char *
chain_builtin_names(void)
{
    return "apache_combined";
}
