#!/usr/bin/env bash
# Issue 6, end-to-end 2: while 200k lines are written and shipped (file
# input), `kill -9` logship 5 times at random moments and restart it each
# time. At the end the index holds exactly 200k documents: the registry
# never ran ahead of the acknowledgements (no loss), and what was sent
# again after a kill came back as duplicates (deterministic ids + create).
# shellcheck source-path=SCRIPTDIR source=es_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"

N=200000
KILLS=5
idx=$(es_index_name)
d=$ES_WORK
on_exit es_remove "$idx"

es_config "$d/kill.yml" --paths "$d/app.log" --index "$idx" \
	--output "batch_max_events: 5000"

# The writer appends 200k lines at 20k lines/s; logship follows the file.
es_gen "$d/app.log" "$N" --rate 20000 --seed 22 --stats "$d/stats.json" &
writer=$!
es_track "$writer"
ls_start ship "$d/kill.yml"

# Kill k happens at a random point of the k-th sixth of the way: the
# count has passed a random threshold in it, then a random 0-0.5 s more.
RANDOM=$$
for ((k = 1; k <= KILLS; k++)); do
	lo=$(((k - 1) * N / 6))
	threshold=$((lo + (RANDOM * 32768 + RANDOM) % (N / 6)))
	deadline=$((SECONDS + 180))
	while :; do
		ls_alive ship || fail "logship died by itself before kill $k"
		got=$(es_progress "$idx")
		((got >= threshold)) && break
		((SECONDS < deadline)) || fail "kill $k: the count stayed at $got (< $threshold) for 180 s"
		sleep 0.2
	done
	sleep "0.$((RANDOM % 500))"
	ls_kill9 ship
	echo "kill -9 $k: at about $got documents (threshold $threshold)"
	ls_start ship "$d/kill.yml"
done

wait "$writer" || fail "the writer failed"
es_wait_exact "$idx" "$N" 300
ls_wait_acked "$d/registry.json" 120 "$d/app.log"
ls_stop ship
assert_eq 0 "$LS_EXIT" "logship run exit status after SIGTERM"
assert_eq "$N" "$(es_count_now "$idx")" "_count after logship stopped"
# each line exactly once: line SEQ has bytes = SEQ
assert_eq "$N" "$(es_count "$idx" "{\"range\":{\"http.response.body.bytes\":{\"gte\":1,\"lte\":$N}}}")" \
	"documents of lines 1..$N"
assert_eq "$(json_get status.404 <"$d/stats.json")" \
	"$(es_count "$idx" '{"term":{"http.response.status_code":404}}')" "status 404"
[[ ! -s $d/dead-letter.ndjson ]] || fail "dead-lettered: $(head -c 600 "$d/dead-letter.ndjson")"
grep -h '\[run\]' "$ES_LOGS/ship.log" || true
es_done
