#!/usr/bin/env bash
# Restarts from the registry:
#  1. ship N lines, stop (SIGTERM), append M, start again: exactly N+M
#     documents, none twice;
#  2. while stopped, lines are appended and the file is rotated (renamed to
#     app.log.1, a new app.log created; the glob matches both): the renamed
#     file is recognised by identity and resumed at its offset, the new one
#     read from 0: every line exactly once;
#  3. read_from: tail on the first start skips what the files already hold;
#     a file created after the start is read from its head; after a restart
#     the registry wins (lines appended while stopped are read).
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
log=$T/logs/app.log
tail_conf "$T/c.yml" "$T/logs/app.log*"

# ---- 1. N + M
write_numbered "$log" 1 50000 20
ls_start "$T/c.yml"
wait_lines 50000 30
ls_stop
write_numbered "$log" 50001 70000 20
ls_start "$T/c.yml"
wait_lines 70000 30
ls_stop
tail_py numbered "$OUT" 70000

# ---- 2. appended and rotated while stopped
write_numbered "$log" 70001 71000 20
mv "$log" "$log.1"
write_numbered "$log" 71001 72000 20
ls_start "$T/c.yml"
wait_lines 72000 30
ls_stop
tail_py numbered "$OUT" 72000
grep -qE "app.log.1: reading from offset [1-9][0-9]* " "$LSLOG" ||
	fail "the rotated file was not resumed at its registry offset"

# ---- 3. read_from: tail
rm -f "$OUT"
REG=$T/reg2/registry.json
mkdir -p "$T/reg2" "$T/t"
tail_conf "$T/c2.yml" -i 'read_from: tail' "$T/t/*.log"
write_numbered "$T/t/old.log" 1 1000 20
size=$(stat -c %s "$T/t/old.log")
ls_start "$T/c2.yml"
wait_log "old.log: reading from offset $size " 30
write_numbered "$T/t/old.log" 1001 1010 20
write_numbered "$T/t/new.log" 2001 2005 20 # appears after the start: from its head
wait_lines 15 30
ls_stop
write_numbered "$T/t/old.log" 1011 1017 20 # while stopped: the registry has the file
ls_start "$T/c2.yml"
wait_lines 22 30
ls_stop
python3 - "$OUT" <<'PY' || fail "read_from: tail"
import json, sys
got = sorted(int(json.loads(l)["message"].split()[0]) for l in open(sys.argv[1]))
want = list(range(1001, 1018)) + list(range(2001, 2006))
if got != want:
    sys.exit("lines %r, want %r" % (got[:30], want))
PY
echo ok
