#!/usr/bin/env bash
# 1000 files with max_open_files: 100: every line of every file arrives
# exactly once, logship never has more than 100 of them open (sampled from
# /proc while it reads), and lines appended later to all 1000 files (most
# were closed to make room) arrive too, read from where each file stopped.
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
logs=$T/logs
tail_conf "$T/c.yml" -i 'max_open_files: 100' "$logs/*.log"

# files f0000.log..f0999.log; file k holds lines k*100+1..k*100+100 and,
# after the append, 100000+k*10+1..100000+k*10+10
python3 - "$logs" <<'PY'
import os, sys
for k in range(1000):
    with open(os.path.join(sys.argv[1], "f%04d.log" % k), "w") as f:
        f.write("".join("%d file %d\n" % (k * 100 + i, k) for i in range(1, 101)))
PY

# open_logs: how many files under $logs logship holds open now
open_logs() {
	{ find "/proc/$LS_PID/fd" -lname "$logs/*" 2>/dev/null || true; } | wc -l
}
ls_start "$T/c.yml"
max=0
deadline=$((SECONDS + 60))
while (($(out_lines) < 100000)); do
	((SECONDS < deadline)) || fail "only $(out_lines) of 100000 lines after 60 s"
	ls_alive || fail "logship exited"
	o=$(open_logs)
	if ((o > max)); then max=$o; fi
	sleep 0.05
done
note "100000 lines; at most $max files seen open at once"
((max <= 100)) || fail "logship had $max files open, max_open_files is 100"

python3 - "$logs" <<'PY'
import os, sys
for k in range(1000):
    with open(os.path.join(sys.argv[1], "f%04d.log" % k), "a") as f:
        f.write("".join("%d file %d\n" % (100000 + k * 10 + i, k) for i in range(1, 11)))
PY
deadline=$((SECONDS + 60))
while (($(out_lines) < 110000)); do
	((SECONDS < deadline)) || fail "only $(out_lines) of 110000 lines after 60 s"
	ls_alive || fail "logship exited"
	o=$(open_logs)
	if ((o > max)); then max=$o; fi
	sleep 0.05
done
ls_stop
note "at most $max files seen open at once"
((max <= 100)) || fail "logship had $max files open, max_open_files is 100"
tail_py numbered "$OUT" 110000
# each line came from its own file, at its offset
python3 - "$OUT" "$logs" <<'PY' || fail "paths and offsets"
import json, os, sys
files = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    p = d["log"]["file"]["path"]
    if p not in files:
        files[p] = open(p, "rb").read()
    off = d["log"]["offset"]
    data = files[p]
    if data[off:data.index(b"\n", off)].decode() != d["message"]:
        sys.exit("%s offset %d does not hold %r" % (p, off, d["message"]))
if len(files) != 1000:
    sys.exit("documents from %d files, want 1000" % len(files))
PY
echo ok
