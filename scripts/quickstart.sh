#!/usr/bin/env bash
# The README's quick start, after the build: starts a local single-node
# OpenSearch (tests/opensearch, from Maven Central artifacts) unless ES_URL
# names a cluster, installs the index template, ships the bundled sample
# logs with `logship backfill`, then shows a search. The node is stopped at
# the end.
set -euo pipefail
cd "$(dirname "$0")/.."
logship=${LOGSHIP:-build/logship}
state=$(mktemp -d)
cleanup() {
    [ -f "$state/pid" ] && tests/opensearch/opensearch stop "$state" >/dev/null 2>&1
    rm -rf "$state"
}
trap cleanup EXIT INT TERM
if [ -z "${ES_URL:-}" ]; then
    echo "==> starting a local OpenSearch node (first run downloads it from Maven Central)"
    ES_URL=$(tests/opensearch/opensearch start "$state")
fi
export ES_URL
conf=conf/examples/quickstart.yml
echo "==> logship setup"
"$logship" setup -c "$conf"
echo "==> logship backfill of conf/samples/access.log"
"$logship" backfill -c "$conf" --input access conf/samples/access.log
echo "==> logship backfill of conf/samples/app.log"
"$logship" backfill -c "$conf" --input app conf/samples/app.log
curl -fsS -X POST "$ES_URL/logship-quickstart-*/_refresh" >/dev/null
echo "==> search: requests that answered 404, newest first"
curl -fsS -H 'Content-Type: application/json' "$ES_URL/logship-quickstart-*/_search?size=3&filter_path=hits.total,hits.hits._source.@timestamp,hits.hits._source.url,hits.hits._source.source" \
    -d '{"query":{"term":{"http.response.status_code":404}},"sort":[{"@timestamp":"desc"}]}'
echo
