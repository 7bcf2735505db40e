/*
 * `logship version`: the program's version and those of the libraries it
 * runs with (what a bug report needs).
 */
#include "config.h"
#include "command.h"

#include <curl/curl.h>
#include <jansson.h>
#include <libdeflate.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <yaml.h>
#include <zlib.h>

static int
cmd_version_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char pcre[64] = "";
    pcre2_config(PCRE2_CONFIG_VERSION, pcre);
    printf("logship %s\n", PACKAGE_VERSION);
    printf("libcurl %s, zlib %s, pcre2 %s, jansson %s, libyaml %s\n",
           curl_version_info(CURLVERSION_NOW)->version, zlibVersion(), pcre,
           jansson_version_str(), yaml_get_version_string());
#ifdef HAVE_ISAL
    printf("batch gzip: ISA-L igzip (levels 1-2), libdeflate %s (others)\n",
           LIBDEFLATE_VERSION_STRING);
#else
    printf("batch gzip: libdeflate %s\n", LIBDEFLATE_VERSION_STRING);
#endif
    return EXIT_OK;
}

const struct command cmd_version = {
    .name = "version",
    .summary = "print the version of logship and its libraries",
    .usage = "usage: logship version\n"
             "\n"
             "Prints logship's version and the versions of the libraries it\n"
             "uses.\n"
             "\n"
             "Example:\n"
             "  logship version\n",
    .run = cmd_version_main,
};
