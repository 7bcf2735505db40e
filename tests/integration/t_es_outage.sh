#!/usr/bin/env bash
# Issue 6, end-to-end 3: the node stops for 60 s in the middle of a run and
# starts again. Memory stays bounded while it is down (reading stops: the
# log file is the buffer), logship resumes by itself, and no line is lost
# or indexed twice.
#
# This test starts and stops its own OpenSearch node (tests/opensearch, on
# a port of its own; Java needed whatever ES_URL says): the runner's node,
# or a user's cluster, is not to be stopped. The test node keeps no data
# over a restart, so the check is on sets of lines rather than one count:
#   B = the lines in the index just before the stop (logship frozen with
#       SIGSTOP so that B is exact), A = the lines in the restarted node's
#       index at the end; no line twice in A, and A ∪ B = every line.
# Lines are ~1.6 KB; 40 MB are written while the node is down, more than
# the 32 MiB RSS bound, which is well above what the configured pools hold
# (4 batches × 1 MiB + 4 chunks × 192 KiB = 5 MiB; RSS is ~18 MB when
# shipping normally). Not meant for sanitizer builds (their RSS is larger).
# shellcheck source-path=SCRIPTDIR source=es_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"

N1=10000  # written at 2000 lines/s while shipping
N2=25000  # written at once while the node is down
N=$((N1 + N2))
OUTAGE=60
RSS_MAX_KB=$((32 * 1024))
d=$ES_WORK
statedir=$(mktempdir)
osctl=$SRCDIR/tests/opensearch/opensearch
[[ -x $osctl ]] || fail "no $osctl"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
node_start() {
	# the script reads node.log right after launching the JVM, which may
	# not have created it yet
	: >"$statedir/node.log"
	OPENSEARCH_HTTP_PORT=$port OPENSEARCH_WATCH_PID=$$ \
		OPENSEARCH_JAVA_OPTS="${OPENSEARCH_JAVA_OPTS:--Xms256m -Xmx512m -XX:+UseSerialGC}" \
		"$osctl" start "$statedir" 2>>"$ES_LOGS/node.log"
}
on_exit "$osctl" stop "$statedir"
url=$(node_start) || fail "could not start the test's own node: $(tail -n 20 "$ES_LOGS/node.log")"
assert_eq "http://127.0.0.1:$port" "$url" "node URL"
# the es_* helpers talk to this node from here on
ES_URL=$url
ES_CURL_OPTS=""
idx=$(es_index_name)

es_config "$d/outage.yml" --paths "$d/app.log" --index "$idx" \
	--service "workers: 2" --service "batches: 4" --service "chunks: 4" \
	--service "read_buffer_size: 64KiB" --input "max_line_bytes: 64KiB" \
	--output "batch_max_bytes: 1MiB" --output "batch_max_events: 2000"

# ---- shipping
: >"$d/app.log"
ls_start ship "$d/outage.yml"
pid=$(ls_pid ship)
es_gen "$d/app.log" "$N1" --pad 1500 --rate 2000 --seed 31 --append &
writer=$!
es_track "$writer"
deadline=$((SECONDS + 120))
until (($(es_progress "$idx") >= 3000)); do
	((SECONDS < deadline)) || fail "fewer than 3000 documents after 120 s"
	sleep 0.2
done

# ---- freeze logship, take B, stop the node, let logship go on
kill -STOP "$pid"
deadline=$((SECONDS + 60))
until [[ $(es_get "_tasks?actions=indices:data/write/bulk*" | json_get nodes) == "{}" ]]; do
	((SECONDS < deadline)) || fail "bulk requests still running 60 s after SIGSTOP"
	sleep 0.2
done
es_dump_values "$idx" http.response.body.bytes "$d/before.txt"
echo "before the stop: $(wc -l <"$d/before.txt") documents"
"$osctl" stop "$statedir" 2>>"$ES_LOGS/node.log"
stopped_at=$SECONDS
rchar0=$(awk '/^rchar:/ {print $2}' "/proc/$pid/io")
kill -CONT "$pid"

# RSS every second until the node is back
(
	while kill -0 "$pid" 2>/dev/null; do
		ls_rss_kb "$pid"
		sleep 1
	done
) >"$d/rss.txt" &
sampler=$!
es_track "$sampler"

# ---- while it is down: the rest of the lines, 40 MB
wait "$writer" || fail "the writer failed"
size1=$(stat -c %s "$d/app.log")
es_gen "$d/app.log" "$N2" --first $((N1 + 1)) --pad 1500 --seed 32 --append
written=$(($(stat -c %s "$d/app.log") - size1))
# (what makes this test meaningful: more than the bound arrives meanwhile)
((written > RSS_MAX_KB * 1024)) || fail "only $written bytes written while the node was down"
while ((SECONDS - stopped_at < OUTAGE)); do
	ls_alive ship || fail "logship exited while the node was down"
	sleep 1
done
url=$(node_start) || fail "could not start the node again: $(tail -n 20 "$ES_LOGS/node.log")"
assert_eq "http://127.0.0.1:$port" "$url" "node URL after the restart"
rchar1=$(awk '/^rchar:/ {print $2}' "/proc/$pid/io")
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
echo "node down for $((SECONDS - stopped_at)) s"

# ---- memory while it was down
max_rss=$(sort -n "$d/rss.txt" | tail -n 1)
echo "RSS while the node was down: $(wc -l <"$d/rss.txt") samples, max ${max_rss} kB; read $(((rchar1 - rchar0) / 1048576)) MiB of the $((written / 1048576)) MiB written meanwhile"
[[ -n $max_rss ]] || fail "no RSS samples"
((max_rss < RSS_MAX_KB)) || fail "RSS reached ${max_rss} kB (bound ${RSS_MAX_KB} kB) while the node was down"
# reading stopped: far less was read than was written meanwhile
((rchar1 - rchar0 < RSS_MAX_KB * 1024)) ||
	fail "read $((rchar1 - rchar0)) bytes while the node was down (bound $((RSS_MAX_KB * 1024)))"

# ---- after: every line once
ls_wait_acked "$d/registry.json" 400 "$d/app.log"
es_dump_values "$idx" http.response.body.bytes "$d/after.txt"
python3 "$ES_PY" seqcheck "$N" "$d/before.txt" "$d/after.txt" ||
	fail "lines lost or indexed twice over the outage"
ls_stop ship
assert_eq 0 "$LS_EXIT" "logship run exit status after SIGTERM"
[[ ! -s $d/dead-letter.ndjson ]] || fail "dead-lettered: $(head -c 600 "$d/dead-letter.ndjson")"
grep -E 'retrying|reachable again' "$ES_LOGS/ship.log" | head -n 3 || true
es_done
