#!/usr/bin/env bash
# Rename + create rotation under load: a writer appends 300000 numbered lines
# at 50000 lines/s and every 50000 lines renames app.log to app.log.1 (older
# copies shifted to .2, .3...) and creates a new app.log. The glob matches
# only app.log, so each renamed file must still be read to its end through
# the descriptor logship holds. Every line arrives exactly once.
# Then with a glob that also matches the rotated names (app.log*): every
# shift is a rename that logship follows by identity; again every line
# exactly once.
# Then the same rotation during an output outage (the stdout output into a
# pipe whose reader is paused, so logship's whole pipeline is blocked): the
# files created while the output is down and rotated away before it comes
# back are read too (the log files are the buffer).
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
log=$T/logs/app.log
n=300000
tail_conf "$T/c.yml" "$log"
: >"$log"
ls_start "$T/c.yml"
wait_log 'app.log: reading from offset 0' 30
tail_writer "$log" 1 $n --pad 40 --rate 50000 --block 500 --rotate-every 50000 >"$T/lives"
note "writer done: $(wc -l <"$T/lives") lives of app.log"
wait_until 60 has_lines $n || note "only $(out_lines) of $n lines after 60 s"
ls_stop
tail_py numbered "$OUT" $n
# every rotated file was closed once read, and logship said so
closed=$(grep -c 'rotated away and read to its end; closing' "$LSLOG" || true)
((closed >= 5)) || fail "$closed rotated files closed, expected 5"
# every document's line is found at its log.offset in one of the rotated
# copies (log.file.path stays app.log: the glob never sees the new names,
# so (path, offset) repeats across lives and is no key here)
python3 - "$OUT" "$log" <<'PY' || fail "documents do not match their files"
import json, os, sys
out, log = sys.argv[1], sys.argv[2]
files = {}
for name in os.listdir(os.path.dirname(log)):
    with open(os.path.join(os.path.dirname(log), name), "rb") as f:
        files[name] = f.read()
bad = 0
for line in open(out):
    d = json.loads(line)
    off, msg = d["log"]["offset"], d["message"].encode()
    if not d["log"]["file"]["path"].startswith(log):
        sys.exit("unexpected path " + d["log"]["file"]["path"])
    if not any(data[off:off + len(msg) + 1] == msg + b"\n" for data in files.values()):
        bad += 1
if bad:
    sys.exit("%d documents are at no file's offset" % bad)
PY

# ---- the glob matches the rotated files too: renames followed by identity
rm -f "$OUT" "$log" "$log".*
REG=$T/reg3/registry.json
mkdir -p "$T/reg3"
tail_conf "$T/c3.yml" "$log*"
: >"$log"
ls_start "$T/c3.yml"
wait_log 'app.log: reading from offset 0' 30
tail_writer "$log" 1 100000 --pad 40 --rate 50000 --block 500 --rotate-every 10000 >/dev/null
wait_lines 100000 60
ls_stop
tail_py numbered "$OUT" 100000
grep -q 'app.log.1: renamed to .*app.log.2' "$LSLOG" || fail "no rename was followed"

# ---- rotations while the output is down
rm -f "$OUT" "$log" "$log".*
REG=$T/reg2/registry.json
mkdir -p "$T/reg2"
tail_conf "$T/c2.yml" --stdout -s 'read_buffer_size: 64KiB' -s 'chunks: 2' \
	-s 'batches: 2' -o 'batch_max_bytes: 64KiB' "$log"
: >"$log"
ls_start_piped "$T/c2.yml"
write_numbered "$log" 1 1000 40
wait_lines 1000 30
reader_pause
# far more than the pipe, the batches and the chunks hold: logship blocks
write_numbered "$log" 1001 50000 40
# three rotations, 0.5 s apart (more than scan_interval), each new file
# renamed out of the glob before the output comes back
for r in 1 2 3; do
	for ((i = r; i >= 1; i--)); do
		[[ -e $log.$i ]] && mv "$log.$i" "$log.$((i + 1))"
	done
	mv "$log" "$log.1"
	write_numbered "$log" $((50000 + (r - 1) * 1000 + 1)) $((50000 + r * 1000)) 40
	sleep 0.5
done
reader_resume
wait_until 30 has_lines 53000 || note "only $(out_lines) of 53000 lines after 30 s"
ls_stop
tail_py numbered "$OUT" 53000
echo ok
