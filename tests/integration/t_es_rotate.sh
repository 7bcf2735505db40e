#!/usr/bin/env bash
# Issue 6, end-to-end 5: rotation while shipping. A fast writer appends
# 150k lines at 10k lines/s and every 2 s renames app.log to app.log.N and
# starts a new app.log (after 200 more lines into the renamed file, as an
# application that reopens its log a little late does). logship tails
# app.log only; every line of every generation is indexed exactly once.
# shellcheck source-path=SCRIPTDIR source=es_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"

N=150000
idx=$(es_index_name)
d=$ES_WORK
on_exit es_delete "$idx"

es_config "$d/rotate.yml" --paths "$d/app.log" --index "$idx" \
	--input "rotate_wait: 2s" --output "batch_max_events: 5000"

: >"$d/app.log"
ls_start ship "$d/rotate.yml"
es_gen "$d/app.log" "$N" --rate 10000 --rotate-every 2 --rotate-lag 200 \
	--seed 55 --stats "$d/stats.json" &
writer=$!
es_track "$writer"
wait "$writer" || fail "the writer failed"
rotations=$(json_get rotations <"$d/stats.json")
echo "writer: $N lines, $rotations rotations"
# the writer takes at least 15 s at 10k lines/s, so it rotated at least 7
# times; fewer would mean this test did not test rotation
((rotations >= 5)) || fail "only $rotations rotations"

es_wait_exact "$idx" "$N" 300
ls_wait_acked "$d/registry.json" 120 "$d"/app.log*
ls_stop ship
assert_eq 0 "$LS_EXIT" "logship run exit status after SIGTERM"
assert_eq "$N" "$(es_count_now "$idx")" "_count after logship stopped"
assert_eq "$N" "$(es_count "$idx" "{\"range\":{\"http.response.body.bytes\":{\"gte\":1,\"lte\":$N}}}")" \
	"documents of lines 1..$N"
# each generation's lines are all there (line SEQ has bytes = SEQ)
first=1
for f in $(ls "$d"/app.log.* | sort -t. -k3 -n) "$d/app.log"; do
	n=$(wc -l <"$f")
	((n > 0)) || continue
	assert_eq "$n" "$(es_count "$idx" "{\"range\":{\"http.response.body.bytes\":{\"gte\":$first,\"lt\":$((first + n))}}}")" \
		"documents of $(basename "$f") (lines $first..$((first + n - 1)))"
	first=$((first + n))
done
assert_eq $((N + 1)) "$first" "lines in all generations"
[[ ! -s $d/dead-letter.ndjson ]] || fail "dead-lettered: $(head -c 600 "$d/dead-letter.ndjson")"
grep -h '\[run\]' "$ES_LOGS/ship.log" || true
es_done
