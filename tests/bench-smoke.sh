#!/bin/sh
# make check: the benchmark harness works end to end on a small input.
# bench/run must exit 0, print every figure of BENCHMARKS.md with a number,
# and the sink must have received exactly one action per generated line.
# The figures themselves are not judged: no test asserts on speed.
set -u
: "${top_srcdir:=.}"
bin=${LOGSHIP_BIN:-./logship}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
builddir=$(dirname "$bin")

if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    dir=$(mktemp -d /dev/shm/logship-bench-check.XXXXXX)
else
    dir=$(mktemp -d)
fi
trap 'rm -rf "$dir"' EXIT

out=$(BENCH_INPUT_DIR=$dir "$top_srcdir/bench/run" --builddir "$builddir" \
    --size 2MiB --seed 7 --daemon-seconds 2 --rate 20000 2>&1)
rc=$?
printf '%s\n' "$out"
fail=0
if [ $rc -ne 0 ]; then
    echo "bench-smoke: bench/run exited $rc" >&2
    fail=1
fi

num='[0-9][0-9.]*'
for want in \
    "lines (seed 7)" \
    "  throughput: *$num MB/s, $num lines/s ($num s until the sink had all" \
    "  logship CPU: *$num CPU-s/GB ($num s: user $num, sys $num" \
    "  peak RSS: *$num MiB" \
    "  sent: *$num MB gzip in $num bulk requests ($num MB NDJSON" \
    "  sink CPU: *$num s = $num CPU-s/GB" \
    "  throughput: *$num MB/s wall, $num lines/s" \
    "  per core: *$num MB per CPU-second" \
    "  %{HTTPD_COMBINEDLOG} regex alone *$num MB per CPU-second *$num ns/line" \
    "  ^\.\*\$ alone *$num MB per CPU-second" \
    "  plain regex-plus-encode loop *$num MB per CPU-second" \
    "  delay write->sink: p50 $num ms, p90 $num ms, p99 $num ms, max $num ms over $num documents" \
    "  logship CPU: *$num s for 40000 lines"; do
    if ! printf '%s\n' "$out" | grep -q -- "$want"; then
        echo "bench-smoke: missing figure: $want" >&2
        fail=1
    fi
done

# The sink's action count is the generator's line count, exactly.
lines=$(printf '%s\n' "$out" | sed -n 's/^logship benchmark: .* MB, \([0-9]*\) lines.*/\1/p')
actions=$(printf '%s\n' "$out" | sed -n 's/.*until the sink had all \([0-9]*\) actions.*/\1/p')
if [ -z "$lines" ] || [ "$lines" -lt 1000 ] || [ "$actions" != "$lines" ]; then
    echo "bench-smoke: the sink got '$actions' actions for '$lines' generated lines" >&2
    fail=1
fi
# The reference loops measured lines that matched, every one of them.
refs=$(printf '%s\n' "$out" | sed -n 's/.*(\([0-9]*\) of \([0-9]*\) lines matched).*/\1 \2/p')
if [ "$(printf '%s\n' "$refs" | wc -l)" -ne 3 ] ||
    printf '%s\n' "$refs" | awk -v n="$lines" '$1 != n || $2 != n { bad = 1 } END { exit !bad }'; then
    echo "bench-smoke: the reference loops did not match all $lines lines: $refs" >&2
    fail=1
fi
docs=$(printf '%s\n' "$out" | sed -n 's/.* over \([0-9]*\) documents.*/\1/p')
if [ "$docs" != 40000 ]; then
    echo "bench-smoke: the daemon sink measured '$docs' documents for 40000 lines written" >&2
    fail=1
fi

[ $fail -eq 0 ] && echo "bench-smoke: every figure printed; $actions actions for $lines lines"
exit $fail
