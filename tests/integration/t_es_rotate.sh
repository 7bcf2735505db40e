#!/usr/bin/env bash
# Issue 6, end-to-end 5: rotation while shipping. A fast writer appends
# lines at 10k lines/s and every 2 s renames app.log to app.log.N and
# starts a new app.log (after 200 more lines into the renamed file, as an
# application that reopens its log a little late does). logship tails
# app.log only; every line of every generation is indexed exactly once.
#   1. 150k lines into the cluster at ES_URL.
#   2. 80k lines into a slow cluster (tests/fake_es answering each bulk
#      request 3 s late, with --dedup): the writer is faster than the
#      output for several rotations, so reading is held back by the memory
#      bound while generations come and go.
# shellcheck source-path=SCRIPTDIR source=es_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"

idx=$(es_index_name)
on_exit es_remove "$idx"

# rotate_run DIR N CONF: runs the writer against a running logship ("ship"
# in DIR), checks that it rotated, waits until the registry has every
# generation acknowledged, stops logship.
rotate_run() {
	local dir=$1 n=$2 rotations writer
	es_gen "$dir/app.log" "$n" --rate 10000 --rotate-every 2 --rotate-lag 200 \
		--seed 55 --stats "$dir/stats.json" &
	writer=$!
	es_track "$writer"
	wait "$writer" || fail "the writer failed"
	rotations=$(json_get rotations <"$dir/stats.json")
	echo "writer: $n lines, $rotations rotations"
	# at 10k lines/s the writer takes at least n/10k s, so it rotated at
	# least n/20k - 1 times; fewer would mean this test tested nothing
	((rotations >= n / 20000 - 1)) || fail "only $rotations rotations"
	# a generation logship never opened shows as "acknowledged None"
	ls_wait_acked "$dir/registry.json" 300 "$dir"/app.log*
	ls_stop ship
	assert_eq 0 "$LS_EXIT" "logship run exit status after SIGTERM"
	[[ ! -s $dir/dead-letter.ndjson ]] || fail "dead-lettered: $(head -c 600 "$dir/dead-letter.ndjson")"
	grep -h '\[run\]' "$ES_LOGS/ship.log" || true
}

# ---- 1. the real cluster
N=150000
d=$(mktempdir)
es_config "$d/rotate.yml" --paths "$d/app.log" --index "$idx" \
	--input "rotate_wait: 2s" --output "batch_max_events: 5000"
: >"$d/app.log"
ls_start ship "$d/rotate.yml"
rotate_run "$d" "$N"
es_wait_exact "$idx" "$N" 60
assert_eq "$N" "$(es_count "$idx" "{\"range\":{\"http.response.body.bytes\":{\"gte\":1,\"lte\":$N}}}")" \
	"documents of lines 1..$N"
# each generation's lines are all there (line SEQ has bytes = SEQ)
first=1
for f in $(printf '%s\n' "$d"/app.log.* | sort -t. -k3 -n) "$d/app.log"; do
	n=$(wc -l <"$f")
	((n > 0)) || continue
	assert_eq "$n" "$(es_count "$idx" "{\"range\":{\"http.response.body.bytes\":{\"gte\":$first,\"lt\":$((first + n))}}}")" \
		"documents of $(basename "$f") (lines $first..$((first + n - 1)))"
	first=$((first + n))
done
assert_eq $((N + 1)) "$first" "lines in all generations"

# ---- 2. a slow cluster
N2=80000
d2=$(mktempdir)
fake_start slow --dedup --fault 'delay 3000'
es_config "$d2/rotate.yml" --paths "$d2/app.log" --index "$idx" --host "$FAKE_URL" \
	--input "rotate_wait: 2s" --output "batch_max_events: 5000"
: >"$d2/app.log"
mv "$ES_LOGS/ship.log" "$ES_LOGS/ship-1.log"
ls_start ship "$d2/rotate.yml"
rotate_run "$d2" "$N2"
fake_stats "$FAKE_URL" >"$d2/stats-fake.json"
assert_eq "$N2" "$(json_get docs_unique <"$d2/stats-fake.json")" \
	"slow cluster: unique documents"
es_done
