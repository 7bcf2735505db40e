#!/usr/bin/env bash
# copytruncate: the file is copied to app.log.1 and truncated in place; the
# lines written after the truncation are read from offset 0 of the file's
# new life (a new generation in the registry).
#  1. quiet file: every line of the old life was read before the truncation,
#     so every line of both lives arrives exactly once, and the new life's
#     offsets start at 0;
#  2. under load (a writer at 20000 lines/s, copytruncate every 20000 lines):
#     what logship guarantees is that every line present in the file when
#     logship read it arrives: per life, the lines shipped are a prefix of
#     that life (only lines written after logship's last read of the old
#     life and before the truncation may be missing: copytruncate's own
#     loss), none twice, and the last life arrives whole.
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
log=$T/logs/app.log
tail_conf "$T/c.yml" "$log"

# ---- 1. quiet file
write_numbered "$log" 1 10000 30
ls_start "$T/c.yml"
wait_lines 10000 30
cp "$log" "$log.1"
: >"$log" # truncate in place (what logrotate's copytruncate does)
wait_log 'app.log: truncated \(size 0 < offset' 30
write_numbered "$log" 10001 10100 5
wait_lines 10100 30
ls_stop
tail_py numbered "$OUT" 10100
python3 - "$OUT" "$log" <<'PY' || fail "new life offsets"
import json, sys
data = open(sys.argv[2], "rb").read()
new = [json.loads(l) for l in open(sys.argv[1]) if int(json.loads(l)["message"].split()[0]) > 10000]
if len(new) != 100 or new[0]["log"]["offset"] != 0:
    sys.exit("the new life does not start at offset 0: %r" % new[:1])
for d in new:
    off = d["log"]["offset"]
    if data[off:data.index(b"\n", off)].decode() != d["message"]:
        sys.exit("offset %d does not hold %r" % (off, d["message"]))
PY
# the registry holds the new life: generation 1, offset at the end of the file
python3 - "$REG" "$log" <<'PY' || fail "registry after copytruncate"
import json, os, sys
e = [e for e in json.load(open(sys.argv[1]))["entries"] if e["path"] == sys.argv[2]]
size = os.path.getsize(sys.argv[2])
if len(e) != 1 or e[0]["generation"] != 1 or e[0]["offset"] != size:
    sys.exit("entries for the file %r, want one with generation 1 and offset %d" % (e, size))
PY

# ---- 2. under load
rm -f "$OUT" "$log" "$log".*
n=100000
ls_start "$T/c.yml"
tail_writer "$log" 1 $n --pad 30 --rate 20000 --block 200 --rotate-every 20000 \
	--rotate copytruncate >"$T/lives"
note "writer done"
# the last life is read whole: wait for its last line
wait_until 60 grep -q "\"message\":\"$n x" "$OUT" || fail "line $n never arrived"
ls_stop
python3 - "$OUT" "$T/lives" <<'PY' || fail "copytruncate under load"
import json, sys
nums = [int(json.loads(l)["message"].split()[0]) for l in open(sys.argv[1])]
if len(nums) != len(set(nums)):
    sys.exit("%d lines shipped twice" % (len(nums) - len(set(nums))))
got = set(nums)
lives = [tuple(map(int, l.split()[1:])) for l in open(sys.argv[2])]
lost = 0
for i, (a, b) in enumerate(lives):
    shipped = sorted(x for x in got if a <= x <= b)
    if shipped != list(range(a, a + len(shipped))):
        holes = sorted(set(range(a, a + len(shipped))) - set(shipped))[:10]
        sys.exit("life %d (lines %d..%d): the lines shipped are not a prefix; missing %r..." % (i, a, b, holes))
    if i == len(lives) - 1 and len(shipped) != b - a + 1:
        sys.exit("the last life (lines %d..%d) is incomplete: %d lines" % (a, b, len(shipped)))
    lost += b - a + 1 - len(shipped)
outside = [x for x in got if not any(a <= x <= b for a, b in lives)]
if outside:
    sys.exit("unexpected lines %r" % outside[:10])
print("%d lives, %d lines shipped, %d lost to copytruncate's window" % (len(lives), len(nums), lost))
PY
echo ok
