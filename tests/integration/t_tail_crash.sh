#!/usr/bin/env bash
# Crash loop: while a writer appends 200000 lines at a steady 25000 lines/s,
# logship is started and killed with SIGKILL 10 times, at random moments
# (0.1-1.5 s after each start), then started once more and left to finish.
# The registry guarantees at-least-once: every line is in the output at
# least once, and deduplicated by (log.file.path, log.offset) each line is
# there exactly once (the same (path, offset) is always the same line).
# Duplicates are expected with SIGKILL and the file output (with the
# Elasticsearch output, deterministic ids make them "duplicate" answers).
# The seed is printed; CRASH_SEED=N repeats the same sleeps.
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
log=$T/logs/app.log
n=200000
tail_conf "$T/c.yml" "$log"
seed=${CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$seed
note "seed $seed"

: >"$log"
tail_writer "$log" 1 $n --pad 40 --rate 25000 --block 100 >/dev/null &
writer=$!
stop_writer() { kill "$writer" 2>/dev/null || true; }
on_exit stop_writer
for ((k = 1; k <= 10; k++)); do
	ls_start "$T/c.yml"
	ms=$((100 + RANDOM % 1401))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	ls_kill9
	note "kill -9 after $ms ms: $(out_lines) documents so far"
done
wait "$writer" || fail "the writer failed"
ls_start "$T/c.yml"
wait_committed "$log" 60
ls_stop
tail_py numbered "$OUT" $n --at-least-once --po-unique
tail_py offsets "$OUT" "$log"
echo ok
