#!/bin/sh
# Regenerates tests/data/parsers/<case>/expected.ndjson and expected.status
# from the current binary: run after adding a case, then READ the diff
# before committing it (the golden files are the specification).
#   tests/golden-update.sh build/logship [case...]
set -eu
bin=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/data/parsers"
cases=${*:-$(ls)}
for c in $cases; do
    (
        cd "$c"
        set +e
        # The machine's zone is UTC unless the case names one (tz), as in
        # tests/unit/check_golden.c.
        tz=UTC
        [ -f tz ] && tz=$(cat tz)
        # shellcheck disable=SC2046
        TZ=$tz "$bin" parse -c parsers.yml $(cat args) \
            --read-time 2026-11-26T00:00:00Z < input.log > expected.ndjson
        echo $? > expected.status
    )
    echo "updated $c"
done
