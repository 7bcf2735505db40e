#!/bin/sh
# Fails when any C file differs from what clang-format 14 makes of it
# (.clang-format). Never skips: a missing clang-format is a failure.
set -u
: "${top_srcdir:=.}"
cf="${CLANG_FORMAT:-}"
[ -n "$cf" ] || cf=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$cf" ]; then
    echo "format-check: clang-format (version 14) is not installed" >&2
    exit 1
fi
case "$("$cf" --version)" in
*" 14."*) ;;
*) echo "format-check: need clang-format 14, found: $("$cf" --version)" >&2; exit 1 ;;
esac
files=$(find "$top_srcdir/src" "$top_srcdir/parsers" "$top_srcdir/outputs" \
    "$top_srcdir/tests" "$top_srcdir/bench" -name '*.[ch]' \
    ! -name patterns_builtin.c 2>/dev/null | sort)
[ -n "$files" ] || { echo "format-check: no C files found under $top_srcdir" >&2; exit 1; }
bad=0
for f in $files; do
    if ! "$cf" --style=file:"$top_srcdir/.clang-format" --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "format-check: $f is not formatted (run: $cf -i $f)" >&2
        bad=1
    fi
done
n=$(echo "$files" | wc -l)
[ $bad -eq 0 ] && echo "format-check: $n files formatted"
exit $bad
