#!/usr/bin/env bash
# Rename + create rotation under load: a writer appends 300000 numbered lines
# at 50000 lines/s and every 25000 lines renames app.log to app.log.1 (older
# copies shifted to .2, .3...) and creates a new app.log. The glob matches
# only app.log, so each renamed file must still be read to its end through
# the descriptor logship holds. Every line arrives exactly once.
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
log=$T/logs/app.log
n=300000
tail_conf "$T/c.yml" "$log"
: >"$log"
ls_start "$T/c.yml"
wait_log 'app.log: reading from offset 0' 30
tail_writer "$log" 1 $n --pad 40 --rate 50000 --block 500 --rotate-every 25000 >"$T/lives"
note "writer done: $(wc -l <"$T/lives") lives of app.log"
wait_lines $n 60
ls_stop
tail_py numbered "$OUT" $n
# every rotated file was closed once read, and logship said so
closed=$(grep -c 'rotated away and read to its end; closing' "$LSLOG" || true)
((closed >= 11)) || fail "$closed rotated files closed, expected at least 11 of 11"
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
echo ok
