# shellcheck shell=bash
# shellcheck disable=SC2034 # LS_*, FAKE_* and ES_* are set here for the tests
# Shared helpers for the Elasticsearch output's end-to-end tests
# (tests/integration/t_es_*.sh). Source it first thing in a test, instead of
# lib.sh (it sources lib.sh, so `set -euo pipefail`, on_exit, es_* and
# json_get are all there):
#   . "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"
#
# What it adds:
#   ES_WORK                 this test's scratch directory (removed at exit)
#   es_config FILE [opts]   a logship config shipping to $ES_URL (see below)
#   es_gen ARGS...          generated Apache combined lines with known counts
#                           per status and a known time window (see es_gen)
#   ls_start/ls_stop/ls_kill9/ls_pid/ls_alive/ls_rss_kb  `logship run`
#   es_track PID            kill a background helper (a writer) at exit
#   ls_backfill NAME CONF FILES...   a backfill; sets LS_RC, LS_INDEXED, ...
#   ls_wait_acked REGISTRY TIMEOUT FILE...  until the registry has every
#                           file's whole size acknowledged
#   es_wait_exact INDEX N TIMEOUT [QUERY]   count == N; fails at once on > N
#   es_progress INDEX       refresh + count, 0 when there is no index yet
#   es_remove PATH          es_delete, quietly (for on_exit)
#   es_delete_matching PATTERN    deletes the indices a pattern matches, one
#                           by one (clusters may refuse wildcard deletes)
#   fake_start NAME ARGS... / fake_stats URL   a tests/fake_es server
#   es_done                 the test passed: call it last (without it the
#                           logship logs are printed at exit)
#
# Every wait has a deadline; nothing asserts on timing.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -x ${LOGSHIP:-} ]] || fail "LOGSHIP is not an executable ('${LOGSHIP:-}'); run through run.sh"

ES_WORK=$(mktempdir)
ES_LOGS=$ES_WORK/logs # logship's output, one NAME.log per process name
mkdir "$ES_LOGS"
ES_PY=$ES_WORK/es_lib.py
# Fixed so that document ids do not depend on the machine.
ES_HOSTNAME=logship-it-host
_es_passed=0
_es_procs=()

# The test passed (logs are printed at exit otherwise).
es_done() {
	_es_passed=1
	echo "ok: ${IT_TEST_NAME}"
}

_es_show_logs() {
	local f
	((_es_passed)) && return 0
	for f in "$ES_LOGS"/*.log; do
		[[ -f $f ]] || continue
		echo "----- last lines of $(basename "$f") -----" >&2
		tail -n 25 "$f" >&2
	done
}
on_exit _es_show_logs

# ---------------------------------------------------------------- config

# es_config FILE [options]: writes a logship config. The registry and the
# dead-letter file go next to FILE (registry.json, dead-letter.ndjson).
#   --paths GLOB         file input path (repeatable); none: no input paths
#   --parser NAME        the input's parser (default apache_combined)
#   --index PATTERN      output.index
#   --data-stream NAME   output.data_stream
#   --host URL           output.hosts (default $ES_URL)
#   --input 'k: v'       another line under the input (repeatable)
#   --output 'k: v'      another line under output (repeatable; replaces
#                        the default of the same key)
#   --service 'k: v'     another line under service (repeatable)
# Output defaults keep runs quick: flush_interval 200ms, backoff 100ms..2s.
# ES_CURL_OPTS -u/--user, -k/--insecure and --cacert become username,
# password, verify and ca_file, so a user's secured cluster works too.
es_config() {
	local file=$1 dir parser=apache_combined index="" ds="" host
	local -a paths=() input=() output=() service=()
	shift
	host=$(es_url)
	while (($#)); do
		case $1 in
		--paths) paths+=("$2") ;;
		--parser) parser=$2 ;;
		--index) index=$2 ;;
		--data-stream) ds=$2 ;;
		--host) host=$2 ;;
		--input) input+=("$2") ;;
		--output) output+=("$2") ;;
		--service) service+=("$2") ;;
		*) fail "es_config: unknown option $1" ;;
		esac
		shift 2
	done
	dir=$(dirname "$file")
	{
		echo "registry:"
		echo "  path: $dir/registry.json"
		echo "  flush_interval: 200ms"
		echo "service:"
		echo "  hostname: $ES_HOSTNAME"
		echo "  dead_letter_path: $dir/dead-letter.ndjson"
		echo "  grace_period: 30s"
		local l
		for l in ${service[@]+"${service[@]}"}; do echo "  $l"; done
		echo "inputs:"
		echo "  - name: main"
		echo "    type: file"
		echo "    paths:"
		for l in ${paths[@]+"${paths[@]}"}; do echo "      - '$l'"; done
		echo "    parser: $parser"
		echo "    scan_interval: 1s"
		for l in ${input[@]+"${input[@]}"}; do echo "    $l"; done
		echo "output:"
		echo "  type: elasticsearch"
		echo "  hosts: ['$host']"
		[[ -n $index ]] && echo "  index: '$index'"
		[[ -n $ds ]] && echo "  data_stream: '$ds'"
		for l in "flush_interval: 200ms" "backoff_initial: 100ms" "backoff_max: 2s" \
			"timeout: 30s" "connect_timeout: 5s"; do
			# a default unless --output gives the key
			[[ " ${output[*]+"${output[*]}"}" == *" ${l%%:*}:"* ]] || echo "  $l"
		done
		_es_config_auth
		for l in ${output[@]+"${output[@]}"}; do echo "  $l"; done
	} >"$file"
}

_es_config_auth() {
	local -a o
	local i
	[[ -n ${ES_CURL_OPTS:-} ]] || return 0
	read -r -a o <<<"$ES_CURL_OPTS"
	for ((i = 0; i < ${#o[@]}; i++)); do
		case ${o[i]} in
		-u | --user)
			echo "  username: '${o[i + 1]%%:*}'"
			echo "  password: '${o[i + 1]#*:}'"
			i=$((i + 1))
			;;
		-k | --insecure) echo "  verify: false" ;;
		--cacert)
			echo "  ca_file: '${o[i + 1]}'"
			i=$((i + 1))
			;;
		esac
	done
}

# ---------------------------------------------------------------- data

# es_gen OUT COUNT [options]: Apache combined lines; python3 es_lib.py
# apache --help has the options. Line SEQ (first..first+count-1) has
# response bytes = SEQ (so http.response.body.bytes identifies the line)
# and time t0 + (SEQ-first)*step seconds, written in one of several UTC
# offsets. --stats FILE gets {"count","first","last","status":{code:n},
# "t_min","t_max","days":{"YYYY.MM.DD":n},"window":{"gte","lt","count"}}
# (times ISO 8601 UTC, days UTC).
es_gen() {
	python3 "$ES_PY" apache "$@"
}

# es_json_lines: python3 es_lib.py with its other commands.
es_py() {
	python3 "$ES_PY" "$@"
}

# ---------------------------------------------------------------- logship

# ls_start NAME CONF: `logship run -c CONF` in the background; output goes
# to $ES_LOGS/NAME.log (appended: a restart keeps the history). Call the
# ls_* functions from the test's shell, not in $(...): only the shell that
# started logship can wait for it.
ls_start() {
	local name=$1 conf=$2 pid
	"$LOGSHIP" run -c "$conf" >>"$ES_LOGS/$name.log" 2>&1 &
	pid=$!
	echo "$pid" >"$ES_WORK/$name.pid"
	_es_procs+=("$pid")
}

# ls_pid NAME: the pid of the last ls_start NAME.
ls_pid() {
	cat "$ES_WORK/$1.pid"
}

# ls_kill9 NAME: SIGKILL and reap.
ls_kill9() {
	local pid
	pid=$(ls_pid "$1")
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# ls_stop NAME [TIMEOUT=60]: SIGTERM, wait for the exit; sets LS_EXIT to
# its status. Fails the test if it does not exit in time.
ls_stop() {
	local pid i tmo=${2:-60}
	pid=$(ls_pid "$1")
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < tmo * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "logship ($1, pid $pid) still running ${tmo}s after SIGTERM"
	LS_EXIT=0
	wait "$pid" || LS_EXIT=$?
}

# ls_alive NAME: true while it runs.
ls_alive() {
	kill -0 "$(ls_pid "$1")" 2>/dev/null
}

# ls_rss_kb PID: VmRSS in kB (empty if the process is gone).
ls_rss_kb() {
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || true
}

# es_track PID: SIGKILL PID at exit if it still runs (background writers).
es_track() {
	_es_procs+=("$1")
}

_es_kill_procs() {
	local pid
	for pid in ${_es_procs[@]+"${_es_procs[@]}"}; do
		kill -KILL "$pid" 2>/dev/null || true
	done
}
on_exit _es_kill_procs

# ls_backfill NAME CONF FILE...: runs `logship backfill` (output to
# $ES_LOGS/NAME.log), with a deadline of LS_BACKFILL_TIMEOUT seconds
# (default 300). Sets LS_RC and, from the summary, LS_LINES LS_INDEXED
# LS_DUPLICATE LS_DEAD LS_PARSE_FAILED.
ls_backfill() {
	local name=$1 conf=$2 log
	shift 2
	log=$ES_LOGS/$name.log
	LS_RC=0
	timeout -k 5 "${LS_BACKFILL_TIMEOUT:-300}" "$LOGSHIP" backfill -c "$conf" "$@" \
		>"$log" 2>&1 || LS_RC=$?
	[[ $LS_RC -ne 124 ]] || fail "backfill $name: still running after ${LS_BACKFILL_TIMEOUT:-300}s"
	local s
	s=$(python3 "$ES_PY" summary "$log") || fail "backfill $name: no summary (exit $LS_RC): $(tail -n 5 "$log")"
	read -r LS_LINES LS_INDEXED LS_DUPLICATE LS_DEAD LS_PARSE_FAILED <<<"$s"
	echo "backfill $name: exit $LS_RC, lines $LS_LINES, indexed $LS_INDEXED," \
		"duplicate $LS_DUPLICATE, dead-lettered $LS_DEAD, failed to parse $LS_PARSE_FAILED"
}

# ls_wait_acked REGISTRY TIMEOUT FILE...: waits until the registry file
# has, for every FILE (by device and inode), an offset equal to its size.
# Fails early when logship has acknowledged all it knows while some FILE
# stays unknown to it for 20 s: a file it never opened will never be.
ls_wait_acked() {
	local reg=$1 tmo=$2 deadline rc unknown_since=""
	shift 2
	deadline=$((SECONDS + tmo))
	while :; do
		rc=0
		python3 "$ES_PY" acked "$reg" "$@" >"$ES_WORK/acked.out" 2>&1 || rc=$?
		((rc == 0)) && return 0
		if ((rc == 2)); then
			: "${unknown_since:=$SECONDS}"
			((SECONDS - unknown_since < 20)) ||
				fail "registry $reg: every file logship opened is acknowledged, but it never opened: $(cat "$ES_WORK/acked.out")"
		else
			unknown_since=""
		fi
		((SECONDS < deadline)) || fail "registry $reg: not everything acknowledged after ${tmo}s: $(cat "$ES_WORK/acked.out")"
		sleep 0.3
	done
}

# ---------------------------------------------------------------- cluster

# es_wait_exact INDEX N TIMEOUT [QUERYJSON]: refreshes and counts until
# the count is N; fails at once when it is above N (duplicates), and with
# the last count on timeout.
es_wait_exact() {
	local index=$1 want=$2 tmo=$3 got="" deadline
	shift 3
	deadline=$((SECONDS + tmo))
	while :; do
		if [[ $(es_code POST "$index/_refresh") == 200 ]]; then
			got=$(es_count "$index" "$@")
			[[ $got == "$want" ]] && return 0
			((got > want)) && fail "$index: $got documents, more than the $want lines (duplicates)"
		fi
		((SECONDS < deadline)) || fail "$index: expected $want documents, have '${got:-no index}' after ${tmo}s"
		sleep 0.5
	done
}

# es_progress INDEX: refresh and count; 0 while the index does not exist
# (or the cluster does not answer). Never fails the test.
es_progress() {
	es_code POST "$1/_refresh" >/dev/null 2>&1 || true
	es_req GET "$1/_count" 2>/dev/null |
		python3 -c 'import json,sys
try: print(int(json.load(sys.stdin)["count"]))
except Exception: print(0)'
}

# es_count_now INDEX [QUERYJSON]: refresh, then count.
es_count_now() {
	es_refresh "$1"
	es_count "$@"
}

# es_remove PATH: es_delete without printing the answer (for on_exit).
es_remove() {
	es_delete "$1" >/dev/null
}

# es_delete_matching PATTERN: deletes each index (hidden ones too) the
# pattern matches, by name.
es_delete_matching() {
	local names n
	names=$(es_req GET "_cat/indices/$1?h=index&expand_wildcards=all" 2>/dev/null) || return 0
	[[ $names == \{* ]] && return 0 # an error body: nothing matches
	for n in $names; do
		es_delete "$n" >/dev/null
	done
}

# es_dump_values INDEX FIELD OUT: every document's FIELD (a number), one
# per line, sorted, duplicates kept (paged with search_after). Call it when
# nothing writes to INDEX. The index is merged to one segment first: the
# pages' tie-breaker is _doc, which a background merge (still running after
# the last write) renumbers between two pages, and a document could then
# come back on the next page and look indexed twice.
es_dump_values() {
	local index=$1 field=$2 out=$3 after="" body resp
	: >"$out"
	es_refresh "$index"
	es_post "$index/_forcemerge?max_num_segments=1" >/dev/null
	es_refresh "$index"
	while :; do
		body="{\"size\":5000,\"_source\":false,\"docvalue_fields\":[\"$field\"],\"sort\":[{\"$field\":\"asc\"},{\"_doc\":\"asc\"}],\"track_total_hits\":false${after:+,\"search_after\":$after}}"
		resp=$(es_post "$index/_search" "$body")
		after=$(python3 "$ES_PY" page "$field" "$out" <<<"$resp")
		[[ -n $after ]] || break
	done
}

# ---------------------------------------------------------------- fake_es

# es_wait_ready PID FILE PREFIX: prints FILE's first line once it starts
# with PREFIX (a test server's ready line), or whatever it is after 10 s or
# once PID has exited.
es_wait_ready() {
	local pid=$1 file=$2 prefix=$3 line="" i
	for ((i = 0; i < 100; i++)); do
		line=$(head -n 1 "$file" 2>/dev/null || true)
		[[ $line == "$prefix"* ]] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	printf '%s\n' "$line"
}

# fake_start NAME ARGS...: starts $FAKE_ES ARGS... (stderr to
# $ES_LOGS/fake-NAME.log); sets FAKE_URL and FAKE_PID; killed at exit.
fake_start() {
	local name=$1 out line
	shift
	[[ -x ${FAKE_ES:-} ]] || fail "FAKE_ES is not an executable ('${FAKE_ES:-}')"
	out=$ES_WORK/fake-$name.ready
	"$FAKE_ES" "$@" >"$out" 2>"$ES_LOGS/fake-$name.log" &
	FAKE_PID=$!
	_es_procs+=("$FAKE_PID")
	line=$(es_wait_ready "$FAKE_PID" "$out" FAKE_ES_READY)
	[[ $line == "FAKE_ES_READY http://127.0.0.1:"* ]] ||
		fail "fake_es $name did not start: $(cat "$ES_LOGS/fake-$name.log")"
	FAKE_URL=${line#FAKE_ES_READY }
}

# fake_stats URL: GET /_fake/stats.
fake_stats() {
	curl -sS --max-time 10 "$1/_fake/stats" || fail "fake_es at $1 does not answer"
}

# ---------------------------------------------------------------- python
cat >"$ES_PY" <<'PYEOF'
"""Helpers for the t_es_*.sh tests (written out by es_lib.sh)."""
import argparse, gzip, json, os, random, re, sys, time

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec"]
STATUSES = [200, 200, 200, 200, 200, 301, 304, 404, 404, 500, 503]
OFFSETS = [0, 120, -420, 330, -150, 60]  # minutes east of UTC
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
          "curl/8.5.0", "Googlebot/2.1 (+http://www.google.com/bot.html)"]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".000Z"


def apache_line(rng, seq, t, pad):
    off = rng.choice(OFFSETS)
    lt = time.gmtime(t + off * 60)
    sign = "+" if off >= 0 else "-"
    z = "%s%02d%02d" % (sign, abs(off) // 60, abs(off) % 60)
    ts = "%02d/%s/%04d:%02d:%02d:%02d %s" % (
        lt.tm_mday, MONTHS[lt.tm_mon - 1], lt.tm_year, lt.tm_hour,
        lt.tm_min, lt.tm_sec, z)
    status = rng.choice(STATUSES)
    ip = "10.%d.%d.%d" % ((seq >> 16) & 255, (seq >> 8) & 255, seq & 255)
    user = rng.choice(["-", "-", "alice", "bob"])
    method = rng.choice(["GET", "GET", "GET", "POST", "HEAD"])
    q = ("?p=" + "x" * pad) if pad else ""
    ref = rng.choice(["-", "https://example.com/start.html"])
    line = '%s - %s [%s] "%s /item/%d%s HTTP/1.1" %d %d "%s" "%s"\n' % (
        ip, user, ts, method, seq, q, status, seq, ref, rng.choice(AGENTS))
    return line, status


def cmd_apache(argv):
    ap = argparse.ArgumentParser(prog="es_gen")
    ap.add_argument("out")
    ap.add_argument("count", type=int)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--t0", type=int, default=1700000000)
    ap.add_argument("--step", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pad", type=int, default=0, help="bytes added to each URL")
    ap.add_argument("--rate", type=int, default=0, help="lines/s (0: at once)")
    ap.add_argument("--rotate-every", type=float, default=0,
                    help="seconds: rename OUT to OUT.N and start a new OUT")
    ap.add_argument("--rotate-lag", type=int, default=50,
                    help="lines still written to the renamed file")
    ap.add_argument("--gzip-members", type=int, default=0,
                    help="write OUT gzip'd, as this many concatenated members")
    ap.add_argument("--append", action="store_true")
    ap.add_argument("--stats")
    ap.add_argument("--window", nargs=2, type=int,
                    help="count lines with t in [A, B) (epoch seconds)")
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    st = {}
    days = {}
    win = 0
    lines = []
    f = None
    if a.gzip_members == 0:
        f = open(a.out, "a" if a.append else "w")
    rotations = 0
    start = time.monotonic()
    next_rot = start + a.rotate_every if a.rotate_every else None
    slice_n = max(1, a.rate // 50) if a.rate else a.count
    lag_left = -1  # lines still to write to a renamed file; -1: none
    for i in range(a.count):
        seq = a.first + i
        t = a.t0 + i * a.step
        line, status = apache_line(rng, seq, t, a.pad)
        st[status] = st.get(status, 0) + 1
        day = time.strftime("%Y.%m.%d", time.gmtime(t))
        days[day] = days.get(day, 0) + 1
        if a.window and a.window[0] <= t < a.window[1]:
            win += 1
        if f is None:
            lines.append(line)
            continue
        f.write(line)
        if lag_left > 0:
            lag_left -= 1
        if lag_left == 0:
            # the writer reopens its log a little after the rename, as
            # applications told by logrotate do: the renamed file grew
            f.close()
            f = open(a.out, "a")
            lag_left = -1
        written = i + 1
        if a.rate and written % slice_n == 0:
            f.flush()
            due = start + written / a.rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
        if (next_rot is not None and lag_left < 0 and i + 1 < a.count
                and time.monotonic() >= next_rot):
            f.flush()
            rotations += 1
            os.rename(a.out, "%s.%d" % (a.out, rotations))
            lag_left = a.rotate_lag
            if lag_left == 0:
                f.close()
                f = open(a.out, "a")
                lag_left = -1
            next_rot += a.rotate_every
    if f is not None:
        f.close()
    else:
        per = (len(lines) + a.gzip_members - 1) // a.gzip_members
        with open(a.out, "wb") as g:
            for k in range(a.gzip_members):
                g.write(gzip.compress("".join(lines[k * per:(k + 1) * per])
                                      .encode()))
    if a.stats:
        last_t = a.t0 + (a.count - 1) * a.step
        d = {"count": a.count, "first": a.first, "last": a.first + a.count - 1,
             "status": {str(k): v for k, v in sorted(st.items())},
             "t_min": iso(a.t0), "t_max": iso(last_t), "days": days,
             "rotations": rotations}
        if a.window:
            d["window"] = {"gte": iso(a.window[0]), "lt": iso(a.window[1]),
                           "count": win}
        with open(a.stats, "w") as s:
            json.dump(d, s)


def cmd_summary(argv):
    """Prints lines indexed duplicate dead parse_failed of a backfill log."""
    text = open(argv[0], errors="replace").read()
    m = re.search(r"backfill: \d+ files? \(\d+ unreadable\), (\d+) lines", text)
    n = re.search(r"indexed (\d+), duplicate (\d+), dead-lettered (\d+), "
                  r"failed to parse (\d+)", text)
    if not m or not n:
        sys.exit(1)
    print(m.group(1), *n.groups())


def cmd_acked(argv):
    """Exit 0 when the registry has each file's whole size acknowledged;
    2 when the files it has are, but some file is not in it at all; else
    1."""
    try:
        reg = json.load(open(argv[0]))
    except (OSError, ValueError) as e:
        print("registry not readable: %s" % e)
        sys.exit(1)
    by_id = {}
    for e in reg.get("entries", []):
        by_id[(int(e["dev"]), int(e["ino"]))] = int(e["offset"])
    behind, unknown = [], []
    for p in argv[1:]:
        s = os.stat(p)
        off = by_id.get((s.st_dev, s.st_ino))
        if off is None:
            unknown.append("%s (%d bytes)" % (p, s.st_size))
        elif off != s.st_size:
            behind.append("%s: size %d, acknowledged %d" % (p, s.st_size, off))
    if behind or unknown:
        print("; ".join(behind + ["not in the registry: " + u for u in unknown]))
        sys.exit(1 if behind else 2)


def cmd_page(argv):
    """A search page on stdin: append FIELD values to OUT, print the
    search_after of the last hit (nothing when the page was empty)."""
    field, out = argv
    hits = json.load(sys.stdin)["hits"]["hits"]
    with open(out, "a") as f:
        for h in hits:
            for v in h.get("fields", {}).get(field, []):
                f.write("%d\n" % int(v))
    if hits:
        print(json.dumps(hits[-1]["sort"]))


def cmd_seqcheck(argv):
    """seqcheck N BEFORE AFTER: AFTER has no value twice, and BEFORE and
    AFTER together hold exactly 1..N."""
    n = int(argv[0])
    before = [int(x) for x in open(argv[1])]
    after = [int(x) for x in open(argv[2])]
    errs = []
    for name, vals in (("before", before), ("after", after)):
        if len(set(vals)) != len(vals):
            errs.append("%d duplicates %s" % (len(vals) - len(set(vals)), name))
    union = set(before) | set(after)
    want = set(range(1, n + 1))
    missing = sorted(want - union)
    extra = sorted(union - want)
    if missing:
        errs.append("%d lines missing, e.g. %s" % (len(missing), missing[:10]))
    if extra:
        errs.append("%d unexpected values, e.g. %s" % (len(extra), extra[:10]))
    print("before %d, after %d, both %d, union %d of %d" % (
        len(before), len(after), len(set(before) & set(after)), len(union), n))
    if errs:
        print("; ".join(errs))
        sys.exit(1)


CMDS = {"apache": cmd_apache, "summary": cmd_summary, "acked": cmd_acked,
        "page": cmd_page, "seqcheck": cmd_seqcheck}
if __name__ == "__main__":
    CMDS[sys.argv[1]](sys.argv[2:])
PYEOF
