#!/usr/bin/env bash
# Issue 6, end-to-end 8: what a real node will not do on demand, with the
# fault server (tests/fake_es, --dedup so that a document indexed twice
# would show). Each case is a `logship backfill` of generated lines:
#   item429   per-item 429s are sent again, alone, until indexed
#   item400   per-item 400s are dead-lettered, the rest indexed (exit 3)
#   split413  a 413 splits the request until the halves fit
#   resets    resets before and in the middle of the answer, a truncated
#             answer, garbage, 503, 429 and a hung request: all sent
#             again, nothing lost; what the server had already indexed
#             comes back as exactly that many duplicates
#   versions  Elasticsearch 6.8 gets _type in the action lines, 7.17, 8.15
#             and OpenSearch 2.19 do not
#   gzip      bulk bodies are gzip'd NDJSON (compression: none: plain)
# shellcheck source-path=SCRIPTDIR source=es_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"

N=2000
es_gen "$ES_WORK/access.log" "$N" --seed 81
head -n 300 "$ES_WORK/access.log" >"$ES_WORK/short.log"

# fault_case NAME FILE [fake_es ARGS...] -- [es_config ARGS...]: starts a
# fake server with --dedup --record, backfills FILE into it; sets CASE
# (its directory, with rec/ and stats.json) and the LS_* of ls_backfill.
fault_case() {
	local name=$1 file=$2
	local -a fargs=() cargs=()
	shift 2
	while (($#)) && [[ $1 != -- ]]; do
		fargs+=("$1")
		shift
	done
	(($#)) && shift
	cargs=("$@")
	CASE=$ES_WORK/$name
	mkdir -p "$CASE/rec"
	fake_start "$name" --dedup --record "$CASE/rec" ${fargs[@]+"${fargs[@]}"}
	es_config "$CASE/ls.yml" --paths "$file" --index "logs-faults" --host "$FAKE_URL" \
		--output "batch_max_events: 100" ${cargs[@]+"${cargs[@]}"}
	ls_backfill "$name" "$CASE/ls.yml" "$file"
	fake_stats "$FAKE_URL" >"$CASE/stats.json"
	kill "$FAKE_PID" 2>/dev/null || true
}

# rec CASE PYTHON-EXPR: evaluates EXPR with r = the recorded requests,
# bulk = the bulk ones (each with "lines": its decoded NDJSON body lines),
# st = the stats; fails the test with EXPR when it is false.
rec() {
	python3 - "$1" "$2" <<'EOF' || fail "$(basename "$1"): $2"
import json, os, sys
case, expr = sys.argv[1], sys.argv[2]
r = [json.loads(l) for l in open(os.path.join(case, "rec", "requests.ndjson"))]
st = json.load(open(os.path.join(case, "stats.json")))
bulk = [x for x in r if x["bulk_seq"] is not None]
for x in bulk:
    x["lines"] = []
    if x.get("body_file"):
        x["lines"] = open(os.path.join(case, "rec", x["body_file"]), "rb").read().decode().splitlines()
def actions(x):
    return [json.loads(l) for l in x["lines"][0::2]]
def ids(x):
    return {list(a.values())[0]["_id"] for a in actions(x)}
def header(x, name):
    return [h["value"] for h in x["headers"] if h["name"].lower() == name.lower()]
try:
    ok = eval(expr)
except Exception as e:
    print("error: %r" % (e,)); ok = False
if not ok:
    print("stats: " + json.dumps(st)[:800])
sys.exit(0 if ok else 1)
EOF
}

# ---- item429: every second item of the first 30 requests is rejected
fault_case item429 "$ES_WORK/access.log" --fault 'req 1-30 item-status-every 2 429'
assert_eq 0 "$LS_RC" "item429: exit status"
assert_eq "$N" "$LS_INDEXED" "item429: indexed"
assert_eq 0 "$LS_DEAD" "item429: dead-lettered"
rec "$CASE" "st['docs_unique'] == $N and st['items']['429'] > 0"
# only the rejected items were sent again: one more action per 429
rec "$CASE" "sum(x['actions'] for x in bulk) == $N + st['items']['429']"
rec "$CASE" "all(x['status'] == 200 for x in bulk)"

# ---- item400: four items are refused for good
fault_case item400 "$ES_WORK/access.log" --fault 'req 1 item 400 at 2,5,7' \
	--fault 'req 4 item 3 status 400'
assert_eq 3 "$LS_RC" "item400: exit status (3: dead-lettered)"
assert_eq $((N - 4)) "$LS_INDEXED" "item400: indexed"
assert_eq 4 "$LS_DEAD" "item400: dead-lettered"
rec "$CASE" "st['docs_unique'] == $N - 4 and st['items']['400'] == 4"
rec "$CASE" "sum(x['actions'] for x in bulk) == $N" # never sent again
python3 - "$CASE/dead-letter.ndjson" <<'EOF' || fail "item400: dead-letter records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ok = len(recs) == 4 and all(
    r["status"] == 400 and r["error"]["type"] == "mapper_parsing_exception"
    and r["index"] == "logs-faults" and isinstance(r["document"], dict)
    and r["document"]["log"]["offset"] == r["log"]["offset"] for r in recs)
if not ok:
    print(json.dumps(recs)[:1500])
sys.exit(0 if ok else 1)
EOF

# ---- split413: more than 30 actions in a request is too large
fault_case split413 "$ES_WORK/access.log" --fault 'http 413 if-items-over 30'
assert_eq 0 "$LS_RC" "split413: exit status"
assert_eq "$N" "$LS_INDEXED" "split413: indexed"
assert_eq 0 "$LS_DEAD" "split413: dead-lettered"
rec "$CASE" "st['docs_unique'] == $N and st['http_status']['413'] > 0"
rec "$CASE" "all(x['actions'] <= 30 for x in bulk if x['status'] == 200)"
rec "$CASE" "all(x['actions'] > 30 for x in bulk if x['status'] == 413)"
rec "$CASE" "sum(x['actions'] for x in bulk if x['status'] == 200) == $N"

# ---- resets, truncation, garbage, whole-request errors, a hung request
cat >"$ES_WORK/resets.txt" <<'EOF'
req 2 reset-before
req 3 reset-mid
req 4 truncate
req 5 reset-mid no-commit
req 6 garbage
req 7 garbage 502
req 8 http 503
req 9 http 429
req 10 hang
EOF
fault_case resets "$ES_WORK/access.log" --script "$ES_WORK/resets.txt" -- --output "timeout: 3s"
assert_eq 0 "$LS_RC" "resets: exit status"
assert_eq 0 "$LS_DEAD" "resets: dead-lettered"
assert_eq "$N" $((LS_INDEXED + LS_DUPLICATE)) "resets: indexed + duplicate"
rec "$CASE" "st['docs_unique'] == $N and st['docs_indexed'] == $N"
rec "$CASE" "all(k in st['faults'] for k in ('reset-before', 'reset-mid', 'truncate', 'garbage', 'hang'))"
# requests 3 and 4 were indexed although the answer was cut: exactly their
# documents come back as duplicates when sent again
dups=$(python3 - "$CASE" <<'EOF'
import json, os, sys
case = sys.argv[1]
ids = set()
for l in open(os.path.join(case, "rec", "requests.ndjson")):
    x = json.loads(l)
    if x["bulk_seq"] in (3, 4):
        body = open(os.path.join(case, "rec", x["body_file"])).read().splitlines()
        ids |= {list(json.loads(a).values())[0]["_id"] for a in body[0::2]}
print(len(ids))
EOF
)
((dups > 0)) || fail "resets: requests 3 and 4 held no documents"
assert_eq "$dups" "$LS_DUPLICATE" "resets: duplicates (the documents of requests 3 and 4)"

# ---- versions: _type for Elasticsearch 6 only; GET / first
for v in 6.8.23 7.17.0 8.15.0 opensearch:2.19.1; do
	name=version-${v//[:.]/_}
	fault_case "$name" "$ES_WORK/short.log" --version "$v"
	assert_eq 0 "$LS_RC" "$v: exit status"
	assert_eq 300 "$LS_INDEXED" "$v: indexed"
	rec "$CASE" "r[0]['method'] == 'GET' and r[0]['path'] == '/'"
	rec "$CASE" "sum(len(actions(x)) for x in bulk) == 300"
	if [[ $v == 6.* ]]; then
		rec "$CASE" "all(list(a.values())[0].get('_type') == '_doc' for x in bulk for a in actions(x))"
	else
		rec "$CASE" "not any('_type' in l for x in bulk for l in x['lines'][0::2])"
	fi
	# ---- gzip: every bulk body is gzip'd NDJSON
	rec "$CASE" "all(header(x, 'Content-Encoding') == ['gzip'] and x['content_encoding'] == 'gzip' for x in bulk)"
	rec "$CASE" "all(header(x, 'Content-Type') == ['application/x-ndjson'] for x in bulk)"
	rec "$CASE" "all(x['body_bytes'] < x['body_bytes_uncompressed'] for x in bulk)"
done

# ---- compression: none sends plain NDJSON
fault_case plain "$ES_WORK/short.log" -- --output "compression: none"
assert_eq 0 "$LS_RC" "compression none: exit status"
assert_eq 300 "$LS_INDEXED" "compression none: indexed"
rec "$CASE" "all(header(x, 'Content-Encoding') == [] and x['body_bytes'] == x['body_bytes_uncompressed'] for x in bulk)"
es_done
