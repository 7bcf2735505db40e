#!/usr/bin/env bash
# The file input on one growing file: lines appended while logship reads
# arrive once each; a partial last line waits for its newline (also across a
# restart) and is sent after line_timeout once the file stops growing; CRLF
# lines lose their \r.
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
log=$T/logs/app.log

# ---- appends while reading: 95000 lines appended at 50000 lines/s, 250
# lines per write, while logship reads
tail_conf "$T/c.yml" -i 'line_timeout: 1h' "$T/logs/*.log"
write_numbered "$log" 1 5000 20
ls_start "$T/c.yml"
tail_writer "$log" 5001 100000 --pad 20 --rate 50000 --block 250 >/dev/null
note "appends written"
wait_lines 100000 60
ls_stop
tail_py numbered "$OUT" 100000
tail_py offsets "$OUT" "$log"

# ---- a partial line is not sent until its newline comes, not even at stop
rm -f "$OUT"
printf 'partial-a\npartial-b\npartial-c' >"$T/logs/partial.log"
ls_start "$T/c.yml"
wait_lines 2 30
ls_stop # the pending "partial-c" must not be sent at shutdown
assert_eq 2 "$(out_lines)" "documents after a stop with a partial line pending"
printf -- '-completed\nafter\n' >>"$T/logs/partial.log"
ls_start "$T/c.yml"
wait_lines 4 30
ls_stop
python3 - "$OUT" <<'PY' || fail "partial line"
import json, sys
msgs = [json.loads(l)["message"] for l in open(sys.argv[1])]
want = ["partial-a", "partial-b", "partial-c-completed", "after"]
if msgs != want:
    sys.exit("messages %r, want %r" % (msgs, want))
PY

# ---- line_timeout: a last line without newline is sent once the file is quiet
rm -f "$OUT"
tail_conf "$T/c2.yml" -i 'line_timeout: 300ms' "$T/logs/quiet.log"
printf 'q1\nno newline yet' >"$T/logs/quiet.log"
ls_start "$T/c2.yml"
wait_lines 2 30
# then the file goes on: the rest is a new line, the first one is not resent
printf '\nq3\n' >>"$T/logs/quiet.log"
wait_lines 3 30
ls_stop
python3 - "$OUT" <<'PY' || fail "line_timeout"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
got = [(d["message"], d["log"]["offset"]) for d in docs]
want = [("q1", 0), ("no newline yet", 3), ("q3", 18)]
if got != want:
    sys.exit("events %r, want %r" % (got, want))
PY

# ---- CRLF: no \r in messages, offsets still the bytes' offsets
rm -f "$OUT"
tail_conf "$T/c3.yml" "$T/logs/crlf.log"
printf 'one\r\ntwo\r\n\r\nthree\r\n' >"$T/logs/crlf.log"
ls_start "$T/c3.yml"
wait_lines 3 30
ls_stop
python3 - "$OUT" <<'PY' || fail "CRLF"
import json, sys
got = [(json.loads(l)["message"], json.loads(l)["log"]["offset"]) for l in open(sys.argv[1])]
want = [("one", 0), ("two", 5), ("three", 12)]
if got != want:
    sys.exit("events %r, want %r" % (got, want))
PY
# ---- multiline: the last event of a quiet file goes after the timeout
rm -f "$OUT"
tail_conf "$T/c4.yml" -i "multiline: {start: '^\\d{4}-', timeout: 300ms}" \
	-i 'line_timeout: 1h' "$T/logs/ml.log"
printf '2024-01-01 a\n  at 1\n  at 2\n2024-01-02 b\n  at 3\n' >"$T/logs/ml.log"
ls_start "$T/c4.yml"
wait_lines 2 30 # the second event only after the timeout: nothing follows it
# a pending event followed by a partial line: the timeout sends the event,
# the partial line waits for its newline (line_timeout is 1h)
printf '2024-01-03 c\n  at 4\n  part' >>"$T/logs/ml.log"
wait_lines 3 30
printf 'ial\n2024-01-04 d\n' >>"$T/logs/ml.log"
wait_lines 5 30
ls_stop
python3 - "$OUT" <<'PY' || fail "multiline"
import json, sys
docs = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda d: d["log"]["offset"])
got = [(d["message"], d["log"]["offset"], d["log"].get("flags")) for d in docs]
want = [("2024-01-01 a\n  at 1\n  at 2", 0, ["multiline"]),
        ("2024-01-02 b\n  at 3", 27, ["multiline"]),
        ("2024-01-03 c\n  at 4", 47, ["multiline"]),
        ("  partial", 67, None),
        ("2024-01-04 d", 77, None)]
if got != want:
    sys.exit("events %r, want %r" % (got, want))
PY
echo "ok"
