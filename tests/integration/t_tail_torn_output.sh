#!/usr/bin/env bash
# The crash loop's hazard made deterministic: a SIGKILL (or a power cut)
# during the file output's write can leave the NDJSON file ending in a
# partial document, never acknowledged, so its lines are sent again. The
# next run must not glue its first document to that fragment: every line
# of the log must still be found in a document that parses. (Only the
# fragment itself may be an unreadable line.)
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
tail_conf "$T/c.yml" "$T/logs/*.log"
write_numbered "$T/logs/app.log" 1 100
# what a write cut short by SIGKILL leaves: no newline at the end
printf '{"@timestamp":"2026-01-01T00:00:00.000Z","host":{"name":"x"},"log":{"fi' >"$OUT"
ls_start "$T/c.yml"
wait_lines 100 30
ls_stop
python3 - "$OUT" <<'PY' || fail "documents after a torn write"
import json, sys
nums, bad = set(), []
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        nums.add(int(json.loads(line)["message"].split()[0]))
    except ValueError:
        bad.append((n, line[:160]))
missing = sorted(set(range(1, 101)) - nums)
if missing:
    sys.exit("lines %r are in no readable document; unreadable lines: %r" % (missing, bad))
if len(bad) > 1:
    sys.exit("%d unreadable lines besides the fragment: %r" % (len(bad) - 1, bad[1:]))
PY
echo ok
