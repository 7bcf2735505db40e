#!/usr/bin/env bash
# Deleted files and reused inodes.
#  1. A file deleted while logship reads it (small reads, few chunks, so the
#     delete comes mid-file): all its lines arrive, then logship closes it
#     (no descriptor left on the deleted file).
#  2. Inode reuse while running: a file is deleted, logship closes it, and a
#     new file that got the same inode number (checked with stat -c %i;
#     candidates are made outside the glob and renamed in) is read from 0,
#     including when its first KiB is the same as the old file's.
#  3. Inode reuse while stopped: the registry holds the old file's offset;
#     the new file with the same inode is read from 0 at the next start.
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
logs=$T/logs
tail_conf "$T/c.yml" -s 'read_buffer_size: 4KiB' -s 'chunks: 2' "$logs/*.log"

# open_deleted: the number of descriptors logship holds on deleted files
open_deleted() {
	{ find "/proc/$LS_PID/fd" -lname '*(deleted)' 2>/dev/null || true; } | wc -l
}
no_open_deleted() { [[ $(open_deleted) == 0 ]]; }

# reuse_inode INO [UNLINK]: prints a new file in $logs (not matching *.log)
# that got inode INO, after unlinking UNLINK if given. ext4 hands out the
# lowest free inode of a group, so files are made (and kept, so they are
# not handed out again) until one gets INO, at most 300. Fails when another
# file took INO first (logship's own registry saves make files too).
reuse_inode() {
	python3 -c '
import os, sys
ino, d = int(sys.argv[1]), sys.argv[2]
if len(sys.argv) > 3:
    os.unlink(sys.argv[3])
for k in range(300):
    p = os.path.join(d, "cand.%d.tmp" % k)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    got = os.fstat(fd).st_ino
    os.close(fd)
    if got == ino:
        print(p)
        sys.exit(0)
sys.exit(1)
' "$1" "$logs" "${@:2}"
}

# ---- 1. delete while reading
# (documents of one file may be out of order in the output: two workers)
n=100000
write_numbered "$logs/big.log" 1 $n 30
ls_start "$T/c.yml"
wait_lines 1 30
rm "$logs/big.log"
note "deleted big.log with $(out_lines) of $n lines shipped"
wait_lines $n 60
tail_py numbered "$OUT" $n
wait_log 'big.log: rotated away and read to its end; closing' 30
wait_until 10 no_open_deleted || fail "logship still holds $(open_deleted) deleted files"

# ---- 2. inode reuse while running
# Up to 8 rounds: a.log is written, read, deleted and closed by logship;
# logship is paused (SIGSTOP) while new files are made until one gets the
# freed inode, as its registry saves could take it first.
cand=""
# a_closed N: logship closed a deleted a.log N times
a_closed() {
	(($(grep -c 'logs/a.log: rotated away and read to its end; closing' "$LSLOG") >= $1))
}
# round_lines FILE ROUND N: writes N lines "round ROUND line i" to FILE
round_lines() {
	python3 -c 'import sys; open(sys.argv[1], "a").write("".join("round %s line %d\n" % (sys.argv[2], i) for i in range(1, int(sys.argv[3]) + 1)))' "$@"
}
for ((round = 1; round <= 8; round++)); do
	round_lines "$logs/a.log" $round 1000 # each round's file is new content
	wait_lines $((n + round * 1000)) 30
	ino=$(stat -c %i "$logs/a.log")
	rm "$logs/a.log"
	wait_until 30 a_closed $round || fail "logship did not close the deleted a.log"
	wait_until 10 no_open_deleted || fail "logship still holds a.log open after closing it"
	kill -STOP "$LS_PID"
	cand=$(reuse_inode "$ino") || cand=""
	kill -CONT "$LS_PID"
	[[ -n $cand ]] && break
	note "round $round: inode $ino was taken by another file"
	rm -f "$logs"/cand.*.tmp
done
[[ -n $cand ]] || fail "no new file got the inode of a deleted one in 8 rounds"
before=$(out_lines)
# the same first 200 lines (the fingerprint's bytes), then other lines,
# longer than the old file: only the hash before the old offset tells
round_lines "$cand" $round 200
python3 -c 'import sys; open(sys.argv[1], "a").write("".join("reuse %d\n" % i for i in range(1, 2001)))' "$cand"
mv "$cand" "$logs/a.log"
note "a.log re-created with inode $ino"
wait_lines $((before + 2200)) 30
ls_stop
python3 - "$OUT" "$logs/a.log" "$before" <<'PY' || fail "inode reuse while running"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[3]):]
data = open(sys.argv[2], "rb").read()
want, off = [], 0
for line in data.split(b"\n")[:-1]:
    want.append((line.decode(), off))
    off += len(line) + 1
got = sorted(((d["message"], d["log"]["offset"]) for d in docs), key=lambda x: x[1])
if got != want:
    sys.exit("%d documents after the reuse, want %d; first %r, want %r" % (len(got), len(want), got[:2], want[:2]))
PY
rm -f "$logs"/cand.*.tmp

# ---- 3. inode reuse while logship is stopped
before=$(out_lines)
ino=$(stat -c %i "$logs/a.log")
cand=$(reuse_inode "$ino" "$logs/a.log") || fail "inode $ino was not handed out again"
python3 -c 'import sys; open(sys.argv[1], "w").write("".join("stopped %d\n" % i for i in range(1, 101)))' "$cand"
mv "$cand" "$logs/a.log"
rm -f "$logs"/cand.*.tmp
ls_start "$T/c.yml"
wait_lines $((before + 100)) 30
ls_stop
python3 - "$OUT" "$before" <<'PY' || fail "inode reuse while stopped"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]
got = sorted(((d["message"], d["log"]["offset"]) for d in docs), key=lambda x: x[1])
want = [("stopped %d" % i, sum(len("stopped %d\n" % j) for j in range(1, i))) for i in range(1, 101)]
if got != want:
    sys.exit("after restart: %d documents, first %r; want %d from %r" % (len(got), got[:2], len(want), want[0]))
PY
echo ok
