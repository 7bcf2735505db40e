# shellcheck shell=bash
# Helpers for the end-to-end tests of the `file` input and `logship backfill`
# (tests/integration/t_tail_*.sh). Source it first thing in a test:
#   . "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"
# It sources lib.sh (set -euo pipefail, fail, on_exit, mktempdir,
# wait_until) and adds:
#
#   tail_init                  T (a fresh work dir), OUT (the file output's
#                              NDJSON), REG (registry path), LSLOG (logship's
#                              log, appended by every start)
#   tail_conf CONF [-i|-s|-o|-r LINE]... [--stdout] GLOB...
#                              writes a config: one file input "tail" over
#                              GLOBs, scan_interval 200ms, rotate_wait 500ms,
#                              the file output to OUT (--stdout: the stdout
#                              output) with flush_interval 100ms, the
#                              registry at REG (flush 100ms); -i/-s/-o/-r
#                              add a "key: value" line to the input /
#                              service / output / registry section
#   ls_start CONF              logship run in the background (LS_PID, and
#                              T/logship.pid); killed at exit if still alive
#   ls_start_piped CONF        the same for a config made with --stdout: its
#                              stdout goes through a pipe to a reader process
#                              (READER_PID) that appends it to OUT;
#                              reader_pause / reader_resume stop and continue
#                              the reader (an output outage: the pipe fills,
#                              logship's output blocks)
#   ls_stop [RC]               SIGTERM, wait (deadline 30 s), expect status RC
#                              (default 0)
#   ls_kill9                   kill -9 and reap
#   ls_alive                   true while logship runs
#   out_lines [FILE]           number of lines in FILE (default OUT)
#   wait_lines N [SECS] [FILE] wait until FILE has >= N lines, else fail
#   has_lines N [FILE]         true when FILE has >= N lines (for wait_until)
#   wait_log REGEX [SECS]      wait until LSLOG matches REGEX (grep -E), else fail
#   wait_committed FILE [SECS] wait until the registry file REG holds FILE's
#                              size as its offset (every line acknowledged)
#   tail_py CMD ARGS...        the Python checks below (each fails the test
#                              with a diagnosis on a mismatch)
#   write_numbered FILE FROM TO [PAD]
#                              appends lines "FROM x.." to "TO x.." (the
#                              number first, then a space and PAD x's)
#   tail_writer FILE FROM TO [OPTIONS]
#                              the same at a given rate, with rotations
#                              (see below)
#   note MSG                   prints MSG with the script's elapsed time
#
# tail_py commands (every line of the output must be a valid JSON object
# with message, log.offset and log.file.path, else the check fails):
#   numbered FILE N [--at-least-once] [--po-unique]
#                              every message starts with a line number; the
#                              numbers are exactly 1..N, each once (or, with
#                              --at-least-once, each at least once); with
#                              --po-unique, there are N distinct (path,
#                              offset) and each always holds the same line
#   offsets FILE DATAFILE [PATH]
#                              each document's message is the line found at
#                              its log.offset in DATAFILE (plain or .gz);
#                              only documents whose path is PATH (default all)
#
# fail() is redefined to print the end of logship's log with the message.
# TAIL_KEEP=DIR: at exit, the work dirs (configs, logs, output, registry)
# are copied under DIR for a post-mortem.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -n ${LOGSHIP:-} && -x $LOGSHIP ]] || {
	echo "FAIL: LOGSHIP is not set to the logship binary" >&2
	exit 1
}

LS_PID=""
READER_PID=""
T=""
OUT=""
REG=""
LSLOG=""

fail() {
	echo "FAIL: $*" >&2
	if [[ -n $LSLOG && -s $LSLOG ]]; then
		echo "---- last lines of logship's log ($LSLOG)" >&2
		tail -n 30 "$LSLOG" >&2
	fi
	exit 1
}

_tail_keep() {
	[[ -n ${TAIL_KEEP:-} && -n $T && -d $T ]] || return 0
	mkdir -p "$TAIL_KEEP"
	cp -a "$T" "$TAIL_KEEP/$(basename "$0" .sh).$$" 2>/dev/null
	echo "work dir kept in $TAIL_KEEP/$(basename "$0" .sh).$$"
}

tail_init() {
	T=$(mktempdir)
	on_exit _tail_keep
	OUT=$T/out.ndjson
	REG=$T/reg/registry.json
	LSLOG=$T/logship.log
	mkdir -p "$T/reg" "$T/logs"
	: >"$LSLOG"
}

tail_conf() {
	local conf=$1 svc=() inp=() outp=() regl=() globs=() l stdout=0
	shift
	while [[ $# -gt 0 ]]; do
		case $1 in
		-i) inp+=("$2") && shift 2 ;;
		-s) svc+=("$2") && shift 2 ;;
		-o) outp+=("$2") && shift 2 ;;
		-r) regl+=("$2") && shift 2 ;;
		--stdout) stdout=1 && shift ;;
		*) globs+=("$1") && shift ;;
		esac
	done
	{
		echo "service:"
		echo "  log_level: info"
		echo "  workers: 2"
		echo "  grace_period: 20s"
		echo "  dead_letter_path: '$T/dead-letter.ndjson'"
		for l in ${svc[@]+"${svc[@]}"}; do echo "  $l"; done
		echo "registry:"
		echo "  path: '$REG'"
		echo "  flush_interval: 100ms"
		for l in ${regl[@]+"${regl[@]}"}; do echo "  $l"; done
		echo "inputs:"
		echo "  - name: tail"
		echo "    type: file"
		echo "    paths:"
		for l in "${globs[@]}"; do echo "      - '$l'"; done
		echo "    scan_interval: 200ms"
		echo "    rotate_wait: 500ms"
		for l in ${inp[@]+"${inp[@]}"}; do echo "    $l"; done
		echo "output:"
		if ((stdout)); then
			echo "  type: stdout"
		else
			echo "  type: file"
			echo "  path: '$OUT'"
		fi
		echo "  flush_interval: 100ms"
		for l in ${outp[@]+"${outp[@]}"}; do echo "  $l"; done
	} >"$conf"
}

# note MSG: prints MSG with the seconds since the script started.
note() {
	local cs=$(((${EPOCHREALTIME/./} - _tail_t0) / 10000))
	printf '[%3d.%02ds] %s\n' $((cs / 100)) $((cs % 100)) "$*"
}
_tail_t0=${EPOCHREALTIME/./}

_ls_cleanup() {
	if [[ -n $LS_PID ]] && kill -0 "$LS_PID" 2>/dev/null; then
		kill -KILL "$LS_PID" 2>/dev/null
		wait "$LS_PID" 2>/dev/null
	fi
	LS_PID=""
	if [[ -n $READER_PID ]]; then
		kill -CONT "$READER_PID" 2>/dev/null
		kill -KILL "$READER_PID" 2>/dev/null
		wait "$READER_PID" 2>/dev/null
	fi
	READER_PID=""
}
on_exit _ls_cleanup

ls_start() {
	[[ -z $LS_PID ]] || fail "ls_start: logship (pid $LS_PID) is still running"
	note "start logship"
	echo "---- logship run -c $1 ($(date +%T.%N))" >>"$LSLOG"
	"$LOGSHIP" run -c "$1" >>"$LSLOG" 2>&1 &
	LS_PID=$!
	echo "$LS_PID" >"$T/logship.pid"
}

# shellcheck disable=SC2016 # Python source, not shell
_TAIL_READER='
import sys
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "ab", buffering=0) as dst:
    while True:
        b = src.read1(65536)
        if not b:
            break
        dst.write(b)
'

ls_start_piped() {
	[[ -z $LS_PID ]] || fail "ls_start_piped: logship (pid $LS_PID) is still running"
	rm -f "$T/stdout.fifo"
	mkfifo "$T/stdout.fifo"
	python3 -c "$_TAIL_READER" "$T/stdout.fifo" "$OUT" &
	READER_PID=$!
	note "start logship (stdout to a reader, pid $READER_PID)"
	echo "---- logship run -c $1 ($(date +%T.%N))" >>"$LSLOG"
	"$LOGSHIP" run -c "$1" >"$T/stdout.fifo" 2>>"$LSLOG" &
	LS_PID=$!
	echo "$LS_PID" >"$T/logship.pid"
}

reader_pause() {
	kill -STOP "$READER_PID"
	note "output reader paused"
}

reader_resume() {
	kill -CONT "$READER_PID"
	note "output reader resumed"
}

ls_alive() {
	[[ -n $LS_PID ]] && kill -0 "$LS_PID" 2>/dev/null
}

# shellcheck disable=SC2120 # the status is optional
ls_stop() {
	local want=${1:-0} rc=0 deadline=$((SECONDS + 30))
	[[ -n $LS_PID ]] || fail "ls_stop: logship is not running"
	kill -TERM "$LS_PID" 2>/dev/null || true
	while kill -0 "$LS_PID" 2>/dev/null; do
		((SECONDS < deadline)) || fail "ls_stop: logship (pid $LS_PID) still running 30 s after SIGTERM"
		sleep 0.05
	done
	wait "$LS_PID" || rc=$?
	LS_PID=""
	note "logship stopped (status $rc)"
	if [[ -n $READER_PID ]]; then # it ends at the end of logship's output
		kill -CONT "$READER_PID" 2>/dev/null || true
		wait "$READER_PID" || fail "ls_stop: the output reader failed"
		READER_PID=""
	fi
	if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$LSLOG"; then
		fail "ls_stop: a sanitizer report in logship's log"
	fi
	[[ $rc == "$want" ]] || fail "ls_stop: logship exited with status $rc, expected $want"
}

ls_kill9() {
	[[ -n $LS_PID ]] || fail "ls_kill9: logship is not running"
	kill -KILL "$LS_PID" 2>/dev/null || true
	wait "$LS_PID" 2>/dev/null || true
	LS_PID=""
	if [[ -n $READER_PID ]]; then
		kill -CONT "$READER_PID" 2>/dev/null || true
		wait "$READER_PID" 2>/dev/null || true
		READER_PID=""
	fi
}

out_lines() {
	local f=${1:-$OUT}
	if [[ -f $f ]]; then
		wc -l <"$f" | tr -d ' '
	else
		echo 0
	fi
}

has_lines() {
	(($(out_lines "${2:-$OUT}") >= $1))
}

wait_lines() {
	local n=$1 secs=${2:-30} f=${3:-$OUT} deadline
	deadline=$((SECONDS + secs))
	while (($(out_lines "$f") < n)); do
		if ((SECONDS >= deadline)); then
			fail "wait_lines: $f has $(out_lines "$f") lines after ${secs}s, expected at least $n"
		fi
		if [[ -n $LS_PID ]] && ! kill -0 "$LS_PID" 2>/dev/null; then
			fail "wait_lines: logship exited while waiting for $n lines (have $(out_lines "$f"))"
		fi
		sleep 0.1
	done
	note "$f: $(out_lines "$f") lines (waited for $n)"
}

wait_log() {
	local re=$1 secs=${2:-30} deadline
	deadline=$((SECONDS + secs))
	until grep -qE -- "$re" "$LSLOG"; do
		((SECONDS < deadline)) || fail "wait_log: no line matching /$re/ in logship's log after ${secs}s"
		sleep 0.1
	done
}

wait_committed() {
	local f=$1 secs=${2:-30} deadline
	deadline=$((SECONDS + secs))
	until python3 -c '
import json, os, sys
try:
    entries = json.load(open(sys.argv[1]))["entries"]
except (OSError, ValueError):
    sys.exit(1)
size = os.path.getsize(sys.argv[2])
sys.exit(0 if any(e["path"] == sys.argv[2] and e["offset"] == size for e in entries) else 1)
' "$REG" "$f"; do
		((SECONDS < deadline)) || fail "wait_committed: the registry does not reach the end of $f after ${secs}s"
		if [[ -n $LS_PID ]] && ! kill -0 "$LS_PID" 2>/dev/null; then
			fail "wait_committed: logship exited while waiting"
		fi
		sleep 0.1
	done
	note "the registry holds the end of $f"
}

write_numbered() {
	tail_writer "$1" "$2" "$3" --pad "${4:-0}" >/dev/null
}

# shellcheck disable=SC2016 # Python source, not shell
_TAIL_WRITER='
import argparse, os, shutil, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("file")
ap.add_argument("first", type=int)
ap.add_argument("last", type=int)
ap.add_argument("--pad", type=int, default=0)
ap.add_argument("--rate", type=float, default=0)
ap.add_argument("--block", type=int, default=100)
ap.add_argument("--rotate-every", type=int, default=0)
ap.add_argument("--rotate", choices=["rename", "copytruncate"], default="rename")
a = ap.parse_args()
pad = "x" * a.pad

def shift():
    """app.log.N -> app.log.N+1 ..., so no rotated file is ever overwritten."""
    n = 1
    while os.path.exists("%s.%d" % (a.file, n)):
        n += 1
    for i in range(n - 1, 0, -1):
        os.rename("%s.%d" % (a.file, i), "%s.%d" % (a.file, i + 1))

def rotate(fd):
    shift()
    if a.rotate == "rename":
        os.rename(a.file, a.file + ".1")
        os.close(fd)
        return os.open(a.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    shutil.copyfile(a.file, a.file + ".1")
    os.truncate(a.file, 0)
    return fd

fd = os.open(a.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
t0 = time.monotonic()
i = a.first
life_start = i
while i <= a.last:
    n = min(a.block, a.last - i + 1)
    if a.rotate_every:
        n = min(n, a.rotate_every - (i - a.first) % a.rotate_every)
    os.write(fd, "".join("%d %s\n" % (j, pad) for j in range(i, i + n)).encode())
    i += n
    if a.rotate_every and (i - a.first) % a.rotate_every == 0 and i <= a.last:
        print("life %d %d" % (life_start, i - 1))
        life_start = i
        fd = rotate(fd)
    if a.rate:
        ahead = (i - a.first) / a.rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
print("life %d %d" % (life_start, a.last))
os.close(fd)
'

# tail_writer FILE FIRST LAST [--pad N] [--rate LINES_PER_S] [--block LINES]
#             [--rotate-every LINES [--rotate rename|copytruncate]]
# Appends lines "FIRST x..." to "LAST x..." (O_APPEND, BLOCK lines per
# write(2)), at RATE lines/s if given. With --rotate-every: every LINES
# lines, FILE.N are shifted to FILE.N+1 and FILE becomes FILE.1 (rename, a
# new FILE is created) or is copied to FILE.1 and truncated in place
# (copytruncate). Prints "life FIRST LAST" for each life of FILE.
tail_writer() {
	python3 -c "$_TAIL_WRITER" "$@" || fail "tail_writer $*"
}

# shellcheck disable=SC2016 # Python source, not shell
_TAIL_PY='
import gzip, json, re, sys

def die(msg):
    sys.stderr.write("FAIL: " + msg + "\n")
    sys.exit(1)

def docs(path):
    """The documents of an NDJSON file; every line must be a JSON object."""
    out = []
    with open(path, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for n, line in enumerate(lines, 1):
        try:
            d = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            die("%s:%d: not valid JSON (%s): %r" % (path, n, e, line[:200]))
        if not isinstance(d, dict):
            die("%s:%d: not an object" % (path, n))
        try:
            d["_po"] = (d["log"]["file"]["path"], d["log"]["offset"])
            d["message"]
        except (KeyError, TypeError):
            die("%s:%d: no log.file.path, log.offset or message: %r" % (path, n, line[:200]))
        out.append(d)
    return out

def ranges(nums):
    """Compact text for a sorted list of ints: 1-5,9,12-13 (first 20 runs)."""
    runs, start, prev = [], None, None
    for x in nums:
        if start is None:
            start = prev = x
        elif x == prev + 1:
            prev = x
        else:
            runs.append((start, prev)); start = prev = x
    if start is not None:
        runs.append((start, prev))
    txt = ",".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in runs[:20])
    return txt + (",..." if len(runs) > 20 else "")

def numbers(ds, path):
    nums = []
    for d in ds:
        m = re.match(r"(\d+)", d["message"])
        if not m:
            die("%s: a message does not start with a number: %r" % (path, d["message"][:100]))
        nums.append(int(m.group(1)))
    return nums

def cmd_numbered(path, n, *flags):
    n = int(n)
    ds = docs(path)
    nums = numbers(ds, path)
    count = {}
    for x in nums:
        count[x] = count.get(x, 0) + 1
    missing = [i for i in range(1, n + 1) if i not in count]
    extra = sorted(x for x in count if x < 1 or x > n)
    dups = sorted(x for x, c in count.items() if c > 1)
    errs = []
    if missing:
        errs.append("%d of %d lines missing: %s" % (len(missing), n, ranges(missing)))
    if extra:
        errs.append("unexpected line numbers: %s" % ranges(extra))
    if dups and "--at-least-once" not in flags:
        errs.append("%d lines more than once: %s" % (len(dups), ranges(dups)))
    if "--po-unique" in flags:
        seen = {}
        for d in ds:
            if seen.setdefault(d["_po"], d["message"]) != d["message"]:
                errs.append("(path, offset) %r holds %r and %r" % (d["_po"], seen[d["_po"]][:40], d["message"][:40]))
                break
        if len(seen) != n:
            errs.append("%d distinct (path, offset), want %d" % (len(seen), n))
    if errs:
        die("%s (%d documents): %s" % (path, len(nums), "; ".join(errs)))
    print("%d documents, lines 1..%d present, %d shipped more than once" % (len(nums), n, len(dups)))

def cmd_offsets(path, datafile, only=None):
    opener = gzip.open if datafile.endswith(".gz") else open
    with opener(datafile, "rb") as f:
        data = f.read()
    checked = 0
    for d in docs(path):
        p, off = d["_po"]
        if only is not None and p != only:
            continue
        end = data.find(b"\n", off)
        line = data[off:end if end >= 0 else len(data)].rstrip(b"\r")
        want = line.decode("utf-8", "replace")
        if d["message"] != want:
            die("%s: offset %d of %s holds %r, the document says %r" % (path, off, datafile, want[:80], d["message"][:80]))
        checked += 1
    print("%d documents match their offsets" % checked)

cmds = {"numbered": cmd_numbered, "offsets": cmd_offsets}
cmds[sys.argv[1]](*sys.argv[2:])
'

tail_py() {
	python3 -c "$_TAIL_PY" "$@" || fail "tail_py $*"
}

# Prints the elapsed time of the script at exit, for the report.
_tail_start=$SECONDS
_tail_time() {
	echo "$(basename "$0"): $((SECONDS - _tail_start)) s"
}
on_exit _tail_time
