#!/usr/bin/env bash
# Issue 6, end-to-end 1: `logship setup`, then `logship run` tails 100k
# generated Apache combined lines (parser apache_combined) into daily
# indices. Exactly 100k documents; each status code's count, the time
# window, the clients' address ranges (source.ip) and each day's index
# match the generator; the indices' mappings have the template's types.
# shellcheck source-path=SCRIPTDIR source=es_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"

N=100000
T0=1700000000 # 2023-11-14T22:13:20Z; one line a second: three UTC days
idx=$(es_index_name)
d=$ES_WORK
on_exit es_delete_matching "$idx-*"
on_exit es_remove "_index_template/$idx"

es_gen "$d/access.log" "$N" --t0 "$T0" --seed 11 --stats "$d/stats.json" \
	--window $((T0 + 20000)) $((T0 + 30000))
es_config "$d/ship.yml" --paths "$d/access.log" --index "$idx-%Y.%m.%d" \
	--output "template_name: $idx"

# ---- setup: the template for the index pattern
"$LOGSHIP" setup -c "$d/ship.yml" >"$ES_LOGS/setup.log" 2>&1 ||
	fail "logship setup failed: $(cat "$ES_LOGS/setup.log")"
es_get "_index_template/$idx" >"$d/template.json"
assert_eq "[\"$idx-*\"]" "$(json_get index_templates.0.index_template.index_patterns <"$d/template.json")" \
	"template index_patterns"
# idempotent: a second run succeeds and changes nothing that matters
"$LOGSHIP" setup -c "$d/ship.yml" >>"$ES_LOGS/setup.log" 2>&1 ||
	fail "logship setup (second run) failed: $(cat "$ES_LOGS/setup.log")"

# ---- ship
ls_start ship "$d/ship.yml"
es_wait_exact "$idx-*" "$N" 300
ls_wait_acked "$d/registry.json" 60 "$d/access.log"
ls_stop ship
assert_eq 0 "$LS_EXIT" "logship run exit status after SIGTERM"
assert_eq "$N" "$(es_count_now "$idx-*")" "_count after logship stopped"
[[ ! -s $d/dead-letter.ndjson ]] || fail "dead-lettered: $(head -c 600 "$d/dead-letter.ndjson")"

# ---- per status code (the term query the issue names first)
stat() { json_get "$1" <"$d/stats.json"; }
assert_eq "$(stat status.404)" "$(es_count "$idx-*" '{"term":{"http.response.status_code":404}}')" \
	"term http.response.status_code: 404"
for code in $(python3 -c 'import json,sys; print(*json.load(open(sys.argv[1]))["status"])' "$d/stats.json"); do
	assert_eq "$(stat "status.$code")" \
		"$(es_count "$idx-*" "{\"term\":{\"http.response.status_code\":$code}}")" "status $code"
done

# ---- time: the whole window, a sub-window, nothing outside
tmin=$(stat t_min)
tmax=$(stat t_max)
assert_eq "$N" "$(es_count "$idx-*" "{\"range\":{\"@timestamp\":{\"gte\":\"$tmin\",\"lte\":\"$tmax\"}}}")" \
	"range @timestamp [$tmin, $tmax]"
assert_eq "$(stat window.count)" \
	"$(es_count "$idx-*" "{\"range\":{\"@timestamp\":{\"gte\":\"$(stat window.gte)\",\"lt\":\"$(stat window.lt)\"}}}")" \
	"range @timestamp over the sub-window"
assert_eq 0 "$(es_count "$idx-*" "{\"bool\":{\"should\":[{\"range\":{\"@timestamp\":{\"lt\":\"$tmin\"}}},{\"range\":{\"@timestamp\":{\"gt\":\"$tmax\"}}}]}}")" \
	"documents outside the window"
# line SEQ has bytes = SEQ: a numeric range finds exactly its lines
assert_eq 1000 "$(es_count "$idx-*" '{"range":{"http.response.body.bytes":{"gt":5000,"lte":6000}}}')" \
	"range on http.response.body.bytes"

# ---- source.ip is indexed as an ip: CIDR term queries (line SEQ's client
# is 10.(SEQ>>16 & 255).(SEQ>>8 & 255).(SEQ & 255); a keyword field would
# match none of them)
assert_eq "$N" "$(es_count "$idx-*" '{"term":{"source.ip":"10.0.0.0/8"}}')" \
	"term source.ip: 10.0.0.0/8"
assert_eq $((N >= 65536 ? N - 65535 : 0)) \
	"$(es_count "$idx-*" '{"term":{"source.ip":"10.1.0.0/16"}}')" \
	"term source.ip: 10.1.0.0/16 (lines 65536 and up)"

# ---- one index per UTC day of the event's time, with that day's lines
python3 -c 'import json,sys; [print(k, v) for k, v in sorted(json.load(open(sys.argv[1]))["days"].items())]' \
	"$d/stats.json" >"$d/days.want"
es_get "_cat/indices/$idx-*?h=index,docs.count&s=index" | awk -v p="$idx-" 'NF {sub(p, "", $1); print $1, $2}' >"$d/days.got"
diff -u "$d/days.want" "$d/days.got" >&2 || fail "daily indices differ from the generator's days"

# ---- mappings: the template's types
es_get "$idx-*/_mapping" >"$d/mapping.json"
python3 - "$d/template.json" "$d/mapping.json" <<'EOF' || fail "mappings do not have the template's types"
import json, sys

tmpl = json.load(open(sys.argv[1]))["index_templates"][0]["index_template"]
mappings = json.load(open(sys.argv[2]))


def leaves(props, prefix=""):
    out = {}
    for k, v in props.items():
        if "properties" in v:
            out.update(leaves(v["properties"], prefix + k + "."))
        else:
            out[prefix + k] = v.get("type", "object")
    return out


want = leaves(tmpl["template"]["mappings"]["properties"])
numeric = {"long", "integer", "short", "unsigned_long"}
errs = []
for index, m in sorted(mappings.items()):
    have = leaves(m["mappings"].get("properties", {}))
    # what the issue asks of the template, on fields these lines have
    for field, types in (("@timestamp", {"date", "date_nanos"}),
                         ("http.response.status_code", numeric),
                         ("http.response.body.bytes", numeric),
                         ("message", {"text", "match_only_text"}),
                         ("host.name", {"keyword"}),
                         ("url.original", {"keyword", "wildcard"}),
                         ("user_agent.original", {"keyword"}),
                         ("http.request.method", {"keyword"}),
                         ("source.address", {"keyword", "ip"})):
        if have.get(field) not in types:
            errs.append("%s: %s is %s, want one of %s" %
                        (index, field, have.get(field), sorted(types)))
    # every field of the template that the documents have: the same type
    for field, t in sorted(want.items()):
        if field in have and have[field] != t:
            errs.append("%s: %s is %s, the template says %s" %
                        (index, field, have[field], t))
    # strings the template does not name are keywords (dynamic template)
    if have.get("user.name") != "keyword":
        errs.append("%s: user.name is %s, want keyword" % (index, have.get("user.name")))
print("checked %d indices against %d template fields" % (len(mappings), len(want)))
if errs:
    print("\n".join(errs))
    sys.exit(1)
EOF

es_done
