#!/usr/bin/env bash
# The harness itself: the cluster at ES_URL takes a gzip'd NDJSON _bulk body,
# counts and searches exactly, and runs an ingest-common pipeline.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

idx=$(es_index_name)
pipeline="$idx-pipeline"
on_exit es_delete "$idx"
on_exit es_delete "_ingest/pipeline/$pipeline"
tmp=$(mktempdir)

# ---- bulk, gzip'd NDJSON, 5 docs
: >"$tmp/bulk.ndjson"
for i in 1 2 3 4 5; do
	level=info
	((i % 2 == 0)) && level=error
	printf '{"index":{"_index":"%s"}}\n{"seq":%d,"level":"%s","message":"line %d from logship"}\n' \
		"$idx" "$i" "$level" "$i" >>"$tmp/bulk.ndjson"
done
gzip -c "$tmp/bulk.ndjson" >"$tmp/bulk.ndjson.gz"

read -r -a curl_extra <<<"${ES_CURL_OPTS:-}"
resp=$(curl -sS --fail-with-body --max-time 60 "${curl_extra[@]}" -X POST \
	-H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' \
	--data-binary "@$tmp/bulk.ndjson.gz" "$(es_url)/_bulk") || fail "gzip bulk request failed: $resp"
assert_eq false "$(json_get errors <<<"$resp")" "bulk errors"
assert_eq 5 "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' <<<"$resp")" "bulk items"

es_refresh "$idx"
assert_eq 5 "$(es_count "$idx")" "_count"
assert_eq 2 "$(es_count "$idx" '{"term":{"level.keyword":"error"}}')" "_count term query"

resp=$(es_post "$idx/_search" '{"query":{"term":{"seq":3}},"track_total_hits":true}')
assert_eq 1 "$(json_get hits.total.value <<<"$resp")" "_search term hits"
assert_eq "line 3 from logship" "$(json_get hits.hits.0._source.message <<<"$resp")" "_search hit"

# ---- ingest pipeline (ingest-common: set + lowercase)
es_put "_ingest/pipeline/$pipeline" '{
  "description": "logship harness test",
  "processors": [
    {"set": {"field": "shipper", "value": "logship"}},
    {"lowercase": {"field": "level"}}
  ]
}' >/dev/null
resp=$(es_put "$idx/_doc/p1?pipeline=$pipeline&refresh=true" '{"seq":6,"level":"WARN","message":"via pipeline"}')
assert_eq created "$(json_get result <<<"$resp")" "index through pipeline"
doc=$(es_get "$idx/_doc/p1")
assert_eq logship "$(json_get _source.shipper <<<"$doc")" "set processor"
assert_eq warn "$(json_get _source.level <<<"$doc")" "lowercase processor"
assert_eq 6 "$(es_count "$idx")" "_count after pipeline doc"

# ---- gzip'd bulk through the pipeline too
printf '{"index":{"_index":"%s","pipeline":"%s"}}\n{"seq":7,"level":"ERROR"}\n' "$idx" "$pipeline" |
	gzip -c >"$tmp/p.ndjson.gz"
resp=$(curl -sS --fail-with-body --max-time 60 "${curl_extra[@]}" -X POST \
	-H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' \
	--data-binary "@$tmp/p.ndjson.gz" "$(es_url)/_bulk?refresh=true") || fail "gzip bulk (pipeline) failed: $resp"
assert_eq false "$(json_get errors <<<"$resp")" "bulk errors (pipeline)"
assert_eq 1 "$(es_count "$idx" '{"bool":{"filter":[{"term":{"seq":7}},{"term":{"shipper.keyword":"logship"}},{"term":{"level.keyword":"error"}}]}}')" "pipeline via bulk"

# ---- cleanup is checked, not just attempted
es_delete "$idx" >/dev/null
assert_eq 404 "$(es_code GET "$idx")" "index deleted"
echo "ok: $idx"
