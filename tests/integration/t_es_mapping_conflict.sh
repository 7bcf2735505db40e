#!/usr/bin/env bash
# Issue 6, end-to-end 4: a real mapping conflict. JSON lines (parser json)
# where `val` is a number in most lines and an object in some, and `obj`
# an object in most and a number in some, into an index whose mapping has
# val: long and obj: object (as the first documents would have made it).
# `logship backfill` exits with 3 (dead-lettered); the conflicting
# documents, and only they, are in the dead-letter file with the engine's
# reason; all the others are indexed.
# shellcheck source-path=SCRIPTDIR source=es_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"

idx=$(es_index_name)
d=$ES_WORK
on_exit es_remove "$idx"

es_put "$idx" '{"mappings":{"properties":{
  "seq":{"type":"long"},"val":{"type":"long"},
  "obj":{"properties":{"a":{"type":"long"}}}}}}' >/dev/null

# 1000 lines: val is an object in lines 3, 13, 23, ... (100), obj is a
# number in lines 7, 32, 57, ... (40); no line has both.
python3 - "$d/app.ndjson" "$d/expected.json" <<'EOF'
import json, sys
bad = {}
off = 0
with open(sys.argv[1], "w") as f:
    for i in range(1, 1001):
        doc = {"seq": i, "val": i, "obj": {"a": i}, "note": "line %d" % i}
        if i % 10 == 3:
            doc["val"] = {"nested": i}
            bad[i] = ("val", off)
        elif i % 25 == 7:
            doc["obj"] = i
            bad[i] = ("obj", off)
        line = json.dumps(doc) + "\n"
        f.write(line)
        off += len(line.encode())
json.dump({str(k): v for k, v in bad.items()}, open(sys.argv[2], "w"))
EOF
NBAD=140
NGOOD=860

es_config "$d/conflict.yml" --paths "$d/app.ndjson" --parser json --index "$idx" \
	--output "batch_max_events: 200"
ls_backfill conflict "$d/conflict.yml" "$d/app.ndjson"
assert_eq 3 "$LS_RC" "backfill exit status (3: dead-lettered)"
assert_eq 1000 "$LS_LINES" "lines read"
assert_eq "$NGOOD" "$LS_INDEXED" "summary: indexed"
assert_eq "$NBAD" "$LS_DEAD" "summary: dead-lettered"
assert_eq 0 "$LS_DUPLICATE" "summary: duplicate"

# ---- the index: exactly the good lines
es_refresh "$idx"
assert_eq "$NGOOD" "$(es_count "$idx")" "_count"
bad_seqs=$(python3 -c 'import json,sys; print(",".join(sorted(json.load(open(sys.argv[1])), key=int)))' "$d/expected.json")
assert_eq 0 "$(es_count "$idx" "{\"terms\":{\"seq\":[$bad_seqs]}}")" "conflicting lines in the index"

# ---- the dead-letter file: exactly the conflicting lines, with reasons
dlq=$d/dead-letter.ndjson
[[ -f $dlq ]] || fail "no dead-letter file at $dlq"
assert_eq 600 "$(stat -c %a "$dlq")" "dead-letter file mode"
python3 - "$dlq" "$d/expected.json" "$idx" "$d/app.ndjson" <<'EOF' || fail "dead-letter records are wrong"
import json, sys
expected = {int(k): v for k, v in json.load(open(sys.argv[2])).items()}
index, path = sys.argv[3], sys.argv[4]
lines = open(sys.argv[4]).read().splitlines()
errs, seen = [], {}
recs = [json.loads(l) for l in open(sys.argv[1])]
for r in recs:
    doc = r.get("document")
    if not isinstance(doc, dict) or "seq" not in doc:
        errs.append("record without the document: %s" % json.dumps(r)[:300])
        continue
    seq = doc["seq"]
    seen[seq] = seen.get(seq, 0) + 1
    if seq not in expected:
        errs.append("line %d is dead-lettered but has no conflict" % seq)
        continue
    field, off = expected[seq]
    err = r.get("error") or {}
    checks = [
        (r.get("index") == index, "index %r" % r.get("index")),
        (r.get("status") == 400, "status %r" % r.get("status")),
        (err.get("type") == "mapper_parsing_exception", "type %r" % err.get("type")),
        ("[%s]" % field in (err.get("reason") or ""), "reason %r" % err.get("reason")),
        (doc.get("message") == lines[seq - 1], "message %r" % doc.get("message")),
        (doc.get(field) == json.loads(lines[seq - 1])[field], "%s %r" % (field, doc.get(field))),
        ((r.get("log") or {}).get("offset") == off, "log.offset %r, want %d" % ((r.get("log") or {}).get("offset"), off)),
        (((r.get("log") or {}).get("file") or {}).get("path") == path, "log.file.path %r" % r.get("log")),
        ("@timestamp" in r, "no @timestamp"),
    ]
    for ok, what in checks:
        if not ok:
            errs.append("line %d: %s" % (seq, what))
missing = sorted(set(expected) - set(seen))
if missing:
    errs.append("%d conflicting lines not dead-lettered, e.g. %s" % (len(missing), missing[:10]))
twice = sorted(k for k, v in seen.items() if v > 1)
if twice:
    errs.append("dead-lettered more than once: %s" % twice[:10])
print("%d dead-letter records; e.g. %s" % (len(recs), json.dumps(recs[0]["error"]) if recs else "-"))
if errs:
    print("\n".join(errs[:30]))
    sys.exit(1)
EOF
es_done
