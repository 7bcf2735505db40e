#!/usr/bin/env bash
# Issue 6, end-to-end 7: data stream mode. `logship setup` installs the
# data stream's index template; a backfill with output.data_stream writes
# into it (create actions): the data stream exists with a .ds- backing
# index that holds every document, typed by the template. A second
# backfill finds every document there already (duplicates).
# shellcheck source-path=SCRIPTDIR source=es_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"

N=20000
ds="logs-logship.test-it$$"
tmpl=$(es_index_name)
d=$ES_WORK
on_exit es_remove "_index_template/$tmpl"
on_exit es_remove "_data_stream/$ds"

es_gen "$d/access.log" "$N" --seed 71 --stats "$d/stats.json"
es_config "$d/ds.yml" --paths "$d/access.log" --data-stream "$ds" \
	--output "template_name: $tmpl" --output "batch_max_events: 5000"

# ---- setup
"$LOGSHIP" setup -c "$d/ds.yml" >"$ES_LOGS/setup.log" 2>&1 ||
	fail "logship setup failed: $(cat "$ES_LOGS/setup.log")"
es_get "_index_template/$tmpl" >"$d/template.json"
python3 - "$d/template.json" "$ds" <<'EOF' || fail "the data stream template is wrong"
import json, sys
t = json.load(open(sys.argv[1]))["index_templates"][0]["index_template"]
ok = True
if "data_stream" not in t:
    print("no data_stream in the template: %s" % json.dumps(t)[:400]); ok = False
if not any(p == sys.argv[2] or (p.endswith("*") and sys.argv[2].startswith(p[:-1]))
           for p in t["index_patterns"]):
    print("index_patterns %s do not match %s" % (t["index_patterns"], sys.argv[2])); ok = False
sys.exit(0 if ok else 1)
EOF
assert_eq 404 "$(es_code GET "_data_stream/$ds")" "no data stream before the first document"

# ---- ship
ls_backfill first "$d/ds.yml" "$d/access.log"
assert_eq 0 "$LS_RC" "backfill exit status"
assert_eq "$N" "$LS_INDEXED" "backfill: indexed"
assert_eq 0 "$LS_DEAD" "backfill: dead-lettered"

es_get "_data_stream/$ds" >"$d/ds.json"
assert_eq "$ds" "$(json_get data_streams.0.name <"$d/ds.json")" "data stream name"
backing=$(json_get data_streams.0.indices.0.index_name <"$d/ds.json")
[[ $backing == .ds-"$ds"-* ]] || fail "backing index '$backing' is not .ds-$ds-*"
assert_eq 1 "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["data_streams"][0]["indices"]))' "$d/ds.json")" \
	"backing indices"
assert_eq "$N" "$(es_count_now "$ds")" "_count on the data stream"
assert_eq "$N" "$(es_count "$backing")" "_count on the backing index $backing"
assert_eq "$(json_get status.404 <"$d/stats.json")" \
	"$(es_count "$ds" '{"term":{"http.response.status_code":404}}')" "status 404"
assert_eq "$N" "$(es_count "$ds" "{\"range\":{\"@timestamp\":{\"gte\":\"$(json_get t_min <"$d/stats.json")\",\"lte\":\"$(json_get t_max <"$d/stats.json")\"}}}")" \
	"range @timestamp over the generator's window"

# the backing index got the template's mappings
es_get "$backing/_mapping" >"$d/mapping.json"
python3 - "$d/mapping.json" "$backing" <<'EOF' || fail "the backing index does not have the template's types"
import json, sys
props = json.load(open(sys.argv[1]))[sys.argv[2]]["mappings"]["properties"]
def typ(path):
    m = props
    parts = path.split(".")
    for k in parts[:-1]:
        m = m.get(k, {}).get("properties", {})
    return m.get(parts[-1], {}).get("type")
want = {"@timestamp": {"date", "date_nanos"},
        "http.response.status_code": {"long", "integer", "short"},
        "http.response.body.bytes": {"long", "integer"},
        "message": {"text", "match_only_text"},
        "host.name": {"keyword"}}
bad = ["%s is %s, want %s" % (f, typ(f), sorted(t)) for f, t in want.items() if typ(f) not in t]
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF

# ---- again: all duplicates, nothing new
ls_backfill second "$d/ds.yml" "$d/access.log"
assert_eq 0 "$LS_RC" "second backfill exit status"
assert_eq 0 "$LS_INDEXED" "second backfill: indexed"
assert_eq "$N" "$LS_DUPLICATE" "second backfill: duplicate"
assert_eq "$N" "$(es_count_now "$ds")" "_count on the data stream after the second backfill"
es_done
