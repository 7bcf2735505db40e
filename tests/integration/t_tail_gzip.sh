#!/usr/bin/env bash
# gzip input and `logship backfill`:
#  1. backfill of a plain file, a .gz and a .gz of two concatenated members
#     (one ending without a newline): exit status 0, the summary line counts
#     3 files and every line, each line arrives once, and log.offset is the
#     offset in the uncompressed stream;
#  2. backfill --resume after more lines were appended to the plain file:
#     only the new lines; a missing file is a usage error (status 2); a
#     truncated .gz is an unreadable file (status 1);
#  3. a `file` input whose glob matches a .gz reads it whole, once, also
#     across a restart.
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
d=$T/logs
tail_conf "$T/c.yml" "$T/none/*.log"

python3 - "$d" <<'PY'
import gzip, os, sys
d = sys.argv[1]
def lines(tag, a, b):
    return "".join("%s %d\n" % (tag, i) for i in range(a, b + 1)).encode()
open(os.path.join(d, "plain.log"), "wb").write(lines("plain", 1, 1000))
open(os.path.join(d, "one.gz"), "wb").write(gzip.compress(lines("one", 1, 50000)))
with open(os.path.join(d, "two.gz"), "wb") as f:   # two members, the second without final newline
    f.write(gzip.compress(lines("two", 1, 30000)))
    f.write(gzip.compress(lines("two", 30001, 60000) + b"two 60001"))
whole = gzip.compress(lines("bad", 1, 100000))
open(os.path.join(d, "truncated.gz"), "wb").write(whole[: len(whole) // 2])
PY
total=$((1000 + 50000 + 60001))

# ---- 1. backfill
rc=0
"$LOGSHIP" backfill -c "$T/c.yml" "$d/plain.log" "$d/one.gz" "$d/two.gz" >"$T/bf.out" 2>"$T/bf.err" || rc=$?
cat "$T/bf.err" >>"$LSLOG"
[[ $rc == 0 ]] || fail "backfill exited with $rc: $(cat "$T/bf.err")"
grep -qE "^backfill: 3 files \(0 unreadable\), $total lines, " "$T/bf.err" ||
	fail "backfill summary: $(cat "$T/bf.err")"
grep -qE "^  indexed $total, duplicate 0, dead-lettered 0" "$T/bf.err" ||
	fail "backfill summary counts: $(cat "$T/bf.err")"
assert_eq "$total" "$(out_lines)" "documents after backfill"
python3 - "$OUT" "$d" <<'PY' || fail "backfill documents"
import collections, json, os, sys
msgs = collections.Counter(json.loads(l)["message"] for l in open(sys.argv[1]))
want = ["plain %d" % i for i in range(1, 1001)] + ["one %d" % i for i in range(1, 50001)] + \
       ["two %d" % i for i in range(1, 60002)]
if msgs != collections.Counter(want):
    sys.exit("missing %r, extra %r" % (list((collections.Counter(want) - msgs).items())[:5],
                                     list((msgs - collections.Counter(want)).items())[:5]))
PY
tail_py offsets "$OUT" "$d/one.gz" "$d/one.gz"
tail_py offsets "$OUT" "$d/two.gz" "$d/two.gz"
tail_py offsets "$OUT" "$d/plain.log" "$d/plain.log"

# ---- 2. --resume, errors
write_numbered "$d/plain.log" 1 50
rc=0
"$LOGSHIP" backfill -c "$T/c.yml" --resume "$d/plain.log" "$d/one.gz" "$d/two.gz" 2>"$T/bf2.err" || rc=$?
cat "$T/bf2.err" >>"$LSLOG"
[[ $rc == 0 ]] || fail "backfill --resume exited with $rc: $(cat "$T/bf2.err")"
grep -qE "^backfill: 3 files \(0 unreadable\), 50 lines, " "$T/bf2.err" ||
	fail "backfill --resume summary: $(cat "$T/bf2.err")"
assert_eq $((total + 50)) "$(out_lines)" "documents after backfill --resume"

rc=0
"$LOGSHIP" backfill -c "$T/c.yml" "$d/no-such-file.log" 2>"$T/bf3.err" || rc=$?
assert_eq 2 "$rc" "backfill of a missing file: status"
grep -q 'no-such-file.log: no such file' "$T/bf3.err" || fail "missing file: $(cat "$T/bf3.err")"

rc=0
"$LOGSHIP" backfill -c "$T/c.yml" "$d/truncated.gz" 2>"$T/bf4.err" || rc=$?
cat "$T/bf4.err" >>"$LSLOG"
grep -q 'truncated.gz' "$T/bf4.err" || fail "a truncated .gz is not named: $(cat "$T/bf4.err")"
grep -qE '^backfill: 1 file \(1 unreadable\)' "$T/bf4.err" ||
	fail "a truncated .gz is not counted unreadable: $(cat "$T/bf4.err")"
assert_eq 1 "$rc" "backfill of a truncated .gz: status"

# ---- 3. a tail input's glob matching a .gz
rm -f "$OUT" "$REG" "$REG.bak"
mkdir -p "$T/tl"
cp "$d/two.gz" "$T/tl/app.log.2.gz"
write_numbered "$T/tl/app.log" 1 100
tail_conf "$T/c2.yml" "$T/tl/*"
ls_start "$T/c2.yml"
wait_lines $((60001 + 100)) 30
ls_stop
ls_start "$T/c2.yml" # a restart reads neither file again
write_numbered "$T/tl/app.log" 101 110
wait_lines $((60001 + 110)) 30
ls_stop
assert_eq $((60001 + 110)) "$(out_lines)" "documents from the tail input"
tail_py offsets "$OUT" "$T/tl/app.log.2.gz" "$T/tl/app.log.2.gz"
python3 - "$OUT" <<'PY' || fail "tail of a .gz"
import collections, json, sys
msgs = collections.Counter(json.loads(l)["message"] for l in open(sys.argv[1]))
want = collections.Counter(["two %d" % i for i in range(1, 60002)] + ["%d " % i for i in range(1, 111)])
if msgs != want:
    sys.exit("missing %r, extra %r" % (list((want - msgs).items())[:5], list((msgs - want).items())[:5]))
PY
echo ok
