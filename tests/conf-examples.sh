#!/bin/sh
# Every shipped configuration (conf/*.yml, conf/examples/*.yml) passes
# `logship check`, and the README's configuration reference is exactly what
# `logship help config` prints from the option tables (so the docs cannot
# drift from the code).
set -u
: "${top_srcdir:=.}"
bin=${LOGSHIP_BIN:-./logship}
fail=0
n=0
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
for f in $(cd "$top_srcdir" && ls conf/*.yml conf/examples/*.yml); do
    n=$((n + 1))
    if ! out=$(cd "$top_srcdir" && "$bin" check "$f" 2>&1); then
        echo "conf-examples: $f: $out" >&2
        fail=1
    fi
done
[ "$n" -gt 0 ] || { echo "conf-examples: no configuration found" >&2; exit 1; }
tmp=$(mktemp -d)
"$bin" help config > "$tmp/want"
sed -n '/<!-- reference:begin -->/,/<!-- reference:end -->/p' "$top_srcdir/README.md" \
    | sed '1d;$d' | sed '1{/^```/d}' | sed '${/^```/d}' > "$tmp/got"
if ! diff -u "$tmp/want" "$tmp/got" >&2; then
    echo "conf-examples: README.md's reference differs from 'logship help config' (update it)" >&2
    fail=1
fi
rm -rf "$tmp"
[ $fail -eq 0 ] && echo "conf-examples: $n configurations valid, README reference current"
exit $fail
