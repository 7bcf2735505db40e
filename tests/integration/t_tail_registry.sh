#!/usr/bin/env bash
# A corrupt registry never stops logship:
#  1. registry.json overwritten with garbage (cut JSON): logship logs an
#     error naming the file, loads registry.json.bak (the save before last)
#     and starts: the lines from the .bak's offset on are sent again, and
#     nothing before it;
#  2. both files garbage (binary, wrong types, empty): an error naming each,
#     and a start with no offsets (every line read again), status 0 at stop;
#  3. prune_after: entries of files deleted while logship runs leave the
#     registry once gone longer than prune_after, without a restart (else a
#     daemon's registry grows with every rotation).
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
log=$T/logs/app.log
tail_conf "$T/c.yml" "$log"

write_numbered "$log" 1 1000 20
ls_start "$T/c.yml"
wait_lines 1000 30
write_numbered "$log" 1001 2000 20
wait_lines 2000 30
ls_stop
[[ -s $REG && -s $REG.bak ]] || fail "no registry.json and registry.json.bak after a run"
bak_offset=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["entries"][0]["offset"])' "$REG.bak")
note "registry.json.bak holds offset $bak_offset"

# ---- 1. registry.json corrupt, .bak good
head -c 100 "$REG" >"$T/cut" && mv "$T/cut" "$REG"
write_numbered "$log" 2001 2100 20
rm -f "$OUT"
: >"$LSLOG"
ls_start "$T/c.yml"
wait_log "error .*$REG: .*trying the backup $REG.bak" 30
wait_log "$REG.bak: loaded 1 entries" 30
want=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d[int(sys.argv[2]):].count(b"\n"))' "$log" "$bak_offset")
wait_lines "$want" 30
ls_stop
assert_eq "$want" "$(out_lines)" "documents after falling back to the .bak"
python3 - "$OUT" "$log" "$bak_offset" <<'PY' || fail "lines sent after the fallback"
import json, sys
data = open(sys.argv[2], "rb").read()
off = int(sys.argv[3])
want = sorted(l.decode() for l in data[off:].split(b"\n")[:-1])
got = sorted(json.loads(l)["message"] for l in open(sys.argv[1]))
if got != want:
    sys.exit("%d lines sent again, want %d (from offset %d)" % (len(got), len(want), off))
PY

# ---- 2. both corrupt: start from nothing
for garbage in binary types empty; do
	case $garbage in
	binary) head -c 3000 /dev/urandom >"$REG" && head -c 3000 /dev/urandom >"$REG.bak" ;;
	types) echo '{"version": 1, "entries": [{"path": 7, "offset": "x"}]}' | tee "$REG" >"$REG.bak" ;;
	empty) : >"$REG" && : >"$REG.bak" ;;
	esac
	rm -f "$OUT"
	: >"$LSLOG"
	ls_start "$T/c.yml"
	wait_log "error .*$REG: .*trying the backup" 30
	wait_log "error .*$REG.bak: .*starting with no offsets" 30
	wait_lines 2100 30
	ls_stop
	tail_py numbered "$OUT" 2100
done

# ---- 3. prune_after while running
REG=$T/reg3/registry.json
mkdir -p "$T/reg3" "$T/many"
rm -f "$OUT"
tail_conf "$T/c3.yml" -r 'prune_after: 1s' "$T/many/*.log"
for i in $(seq 1 20); do write_numbered "$T/many/f$i.log" 1 10; done
ls_start "$T/c3.yml"
wait_lines 200 30
rm "$T/many"/f{2..20}.log
# registry_entries: the number of entries in the saved registry
registry_entries() {
	python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["entries"]))' "$REG"
}
pruned() { (($(registry_entries) == 1)); }
wait_until 30 pruned || fail "the registry still holds $(registry_entries) entries 30 s after 19 of its 20 files were deleted (prune_after: 1s)"
ls_stop
echo ok
