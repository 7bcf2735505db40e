#!/usr/bin/env bash
# Shows that tests/fake_es/fake_es produces every fault it promises, so that
# logship tests built on it test logship and not the fake.  Needs bash, curl,
# gzip and python3 only (no OpenSearch).  The binary comes from $FAKE_ES
# (default: tests/fake_es/fake_es, else next to this script).  Prints one
# PASS/FAIL line per check; exits 0 only if every check passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [[ -z "${FAKE_ES:-}" ]]; then
    FAKE_ES=tests/fake_es/fake_es
    [[ -x $FAKE_ES ]] || FAKE_ES=$here/../fake_es/fake_es
fi
if [[ ! -x $FAKE_ES ]]; then
    echo "t_fake_es_faults: no fake_es binary at '$FAKE_ES' (set FAKE_ES)" >&2
    exit 1
fi
# make sanitizer builds fail loudly instead of carrying on
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

T=$(mktemp -d "${TMPDIR:-/tmp}/t_fake_es.XXXXXX")
PIDS=()
declare -A URL PID
PASS=0
FAIL=0

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if ((FAIL == 0)); then
        rm -rf "$T"
    else
        echo "t_fake_es_faults: kept $T for inspection" >&2
    fi
}
trap cleanup EXIT

ok() {
    echo "PASS: $*"
    PASS=$((PASS + 1))
}
bad() {
    echo "FAIL: $*"
    FAIL=$((FAIL + 1))
}
# check DESCRIPTION COMMAND...
check() {
    local desc=$1
    shift
    if "$@"; then ok "$desc"; else bad "$desc"; fi
}

# jcheck FILE PYTHON-EXPR: j is the parsed JSON; st/et/ids/ops list the
# per-item status, error type, _id and op name of a bulk response.
jcheck() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
def item(i): return list(i.values())[0]
def st(j): return [item(i)["status"] for i in j["items"]]
def et(j): return [(item(i).get("error") or {}).get("type") for i in j["items"]]
def ids(j): return [item(i)["_id"] for i in j["items"]]
def ops(j): return [list(i.keys())[0] for i in j["items"]]
try:
    with open(sys.argv[1], "rb") as f:
        j = json.load(f)
    ok = eval("(" + sys.argv[2] + "\n)")
except Exception as e:  # noqa
    print("    jcheck error: %r" % (e,), file=sys.stderr)
    ok = False
if not ok:
    print("    expression: " + sys.argv[2], file=sys.stderr)
    try:
        print("    json: " + open(sys.argv[1]).read()[:600], file=sys.stderr)
    except Exception:
        pass
sys.exit(0 if ok else 1)
EOF
}

# start_server NAME ARGS... -> ${URL[NAME]}, ${PID[NAME]}
start_server() {
    local name=$1 i line port
    shift
    "$FAKE_ES" "$@" >"$T/$name.stdout" 2>"$T/$name.stderr" &
    local pid=$!
    PIDS+=("$pid")
    for ((i = 0; i < 100; i++)); do
        line=$(head -n1 "$T/$name.stdout" 2>/dev/null || true)
        [[ $line == FAKE_ES_READY* ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ $line != FAKE_ES_READY\ http://127.0.0.1:* ]]; then
        echo "fake_es '$name' did not start:" >&2
        cat "$T/$name.stderr" >&2
        exit 1
    fi
    port=${line##*:}
    URL[$name]=http://127.0.0.1:$port
    PID[$name]=$pid
}

# mkbulk FILE OP ID-PREFIX COUNT [INDEX]
mkbulk() {
    local f=$1 op=$2 prefix=$3 n=$4 index=${5:-logs-test} i
    : >"$f"
    for ((i = 1; i <= n; i++)); do
        printf '{"%s":{"_index":"%s","_id":"%s-%d"}}\n' "$op" "$index" \
            "$prefix" "$i" >>"$f"
        printf '{"@timestamp":"2024-05-01T12:00:00Z","message":"hello %d"}\n' \
            "$i" >>"$f"
    done
}

# bulk NAME URL FILE [CURL-ARGS...]: gzip'd POST; sets RC and CODE,
# response body in $T/NAME.out
bulk() {
    local name=$1 url=$2 file=$3
    shift 3
    gzip -c "$file" >"$file.gz"
    RC=0
    CODE=$(curl -sS -o "$T/$name.out" -w '%{http_code}' --max-time 20 \
        -H 'Content-Type: application/x-ndjson' \
        -H 'Content-Encoding: gzip' --data-binary @"$file.gz" "$@" \
        "$url/_bulk" 2>"$T/$name.err") || RC=$?
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

not_json() {
    ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" \
        2>/dev/null
}

# ---------------------------------------------------------------------------
# main instance: ES 8.15, --dedup, --record, script of faults

cat >"$T/faults.txt" <<'EOF'
# per-item faults
req 1 item 3 status 429
req 1 item 5 status 400
req 2 item 1 status 409
req 2 item 503 at 2,4
req 3 item-status-every 3 429
# whole-request faults
req 4 http 429
req 5 http 500
req 6 http 503
req 7 http 413
req 8-10 http 413 if-items-over 4     # a client that halves the batch wins
# connection-level faults
req 11 delay 1500
req 12 reset-before                   # no-commit by default
req 13 reset-mid                      # commit by default
req 14 truncate
req 15 garbage
EOF
start_server main --version 8.15.0 --dedup --script "$T/faults.txt" \
    --record "$T/rec" --port 0 --port-file "$T/main.port"
U=${URL[main]}
echo "fake_es main at $U"
check "--port-file holds the port" test "$(cat "$T/main.port")" = "${U##*:}"

# bulk 1: 6 creates, 429 at 3, 400 at 5
mkbulk "$T/b1" create one 6
bulk r1 "$U" "$T/b1"
check "req1 HTTP 200" test "$CODE" = 200
check "req1 statuses 201,201,429,201,400,201" jcheck "$T/r1.out" \
    'j["errors"] is True and st(j) == [201, 201, 429, 201, 400, 201]'
check "req1 error types es_rejected_execution/mapper_parsing" \
    jcheck "$T/r1.out" 'et(j) == [None, None, "es_rejected_execution_exception",
        None, "mapper_parsing_exception", None]'
check "req1 items echo op, _index and _id" jcheck "$T/r1.out" \
    'ops(j) == ["create"] * 6 and ids(j) == ["one-%d" % i for i in range(1, 7)]
     and all(list(i.values())[0]["_index"] == "logs-test" for i in j["items"])'

# bulk 2: 409 at 1, 503 at 2 and 4 (ids without _id get generated)
printf '%s\n' '{"index":{"_index":"logs-test"}}' '{"message":"no id"}' >"$T/b2"
mkbulk "$T/b2x" create two 4
cat "$T/b2x" >>"$T/b2"
bulk r2 "$U" "$T/b2"
check "req2 statuses 409,503,201,503,201" jcheck "$T/r2.out" \
    'st(j) == [409, 503, 201, 503, 201]'
check "req2 error types version_conflict/unavailable_shards" \
    jcheck "$T/r2.out" 'et(j) == ["version_conflict_engine_exception",
        "unavailable_shards_exception", None, "unavailable_shards_exception",
        None]'
check "req2 generates an _id when the action has none" jcheck "$T/r2.out" \
    'isinstance(ids(j)[0], str) and len(ids(j)[0]) == 20 and ops(j)[0] == "index"'

# bulk 3: every 3rd item 429
mkbulk "$T/b3" create three 9
bulk r3 "$U" "$T/b3"
check "req3 item-status-every 3 429" jcheck "$T/r3.out" \
    'st(j) == [201, 201, 429] * 3'

# bulk 4-7: whole-request errors
mkbulk "$T/b4" create four 2
bulk r4 "$U" "$T/b4"
check "req4 HTTP 429 es_rejected_execution_exception" \
    test "$CODE" = 429 -a "$RC" = 0
check "req4 body is an ES error" jcheck "$T/r4.out" \
    'j["status"] == 429 and j["error"]["type"] == "es_rejected_execution_exception"
     and j["error"]["root_cause"][0]["type"] == j["error"]["type"]'
bulk r5 "$U" "$T/b4"
check "req5 HTTP 500" test "$CODE" = 500
check "req5 body is an ES error" jcheck "$T/r5.out" \
    'j["status"] == 500 and "type" in j["error"]'
bulk r6 "$U" "$T/b4"
check "req6 HTTP 503" test "$CODE" = 503
check "req6 body is an ES error" jcheck "$T/r6.out" \
    'j["status"] == 503 and j["error"]["type"] == "cluster_block_exception"'
bulk r7 "$U" "$T/b4"
check "req7 HTTP 413 with empty body" test "$CODE" = 413 -a ! -s "$T/r7.out"

# bulk 8-10: 413 only when more than 4 actions
mkbulk "$T/b8" create eight 8
bulk r8 "$U" "$T/b8"
check "req8 (8 actions) HTTP 413 if-items-over 4" test "$CODE" = 413
head -n 8 "$T/b8" >"$T/b8a"
tail -n 8 "$T/b8" >"$T/b8b"
bulk r9 "$U" "$T/b8a"
check "req9 (first half, 4 actions) HTTP 200" jcheck "$T/r9.out" \
    'st(j) == [201] * 4 and j["errors"] is False'
bulk r10 "$U" "$T/b8b"
check "req10 (second half) HTTP 200" jcheck "$T/r10.out" \
    'st(j) == [201] * 4 and ids(j) == ["eight-%d" % i for i in range(5, 9)]'

# bulk 11: delay 1500 ms; meanwhile another connection is served at once
mkbulk "$T/b11" create eleven 2
(
    t0=$(now_ms)
    bulk r11 "$U" "$T/b11"
    t1=$(now_ms)
    echo "$CODE $RC $((t1 - t0))" >"$T/r11.timing"
) &
bgpid=$!
sleep 0.3
t0=$(now_ms)
curl -sS -o "$T/side.out" --max-time 5 "$U/" || true
t1=$(now_ms)
check "other connections are served during a delay ($((t1 - t0)) ms)" \
    test $((t1 - t0)) -lt 1000
wait "$bgpid" || true
read -r code11 rc11 ms11 <"$T/r11.timing"
check "req11 delayed ${ms11} ms >= 1500 and then HTTP 200" \
    test "$ms11" -ge 1500 -a "$code11" = 200 -a "$rc11" = 0
check "req11 body is a normal bulk response" jcheck "$T/r11.out" \
    'st(j) == [201, 201]'

# bulk 12: reset before anything is sent
mkbulk "$T/b12" create twelve 3
bulk r12 "$U" "$T/b12"
check "req12 reset-before: curl exit $RC is 52 or 56" \
    test "$RC" = 52 -o "$RC" = 56
check "req12 sent no bytes" test ! -s "$T/r12.out"

# bulk 13: headers + half the body, then RST
mkbulk "$T/b13" create thirteen 3
bulk r13 "$U" "$T/b13"
check "req13 reset-mid: curl exit $RC is 56 (or 52)" \
    test "$RC" = 56 -o "$RC" = 52
check "req13 HTTP status line arrived (code $CODE)" test "$CODE" = 200

# bulk 14: Content-Length N, only N/2 bytes, then FIN
bulk r14 "$U" "$T/b4"
check "req14 truncate: curl exit $RC is 18" test "$RC" = 18
check "req14 got a partial body" test -s "$T/r14.out"

# bulk 15: 200 with an HTML body
bulk r15 "$U" "$T/b4"
check "req15 garbage: HTTP 200, curl ok" test "$CODE" = 200 -a "$RC" = 0
check "req15 garbage: body is not JSON" not_json "$T/r15.out"
check "req15 garbage: body is an HTML page" grep -q '<html>' "$T/r15.out"

# bulk 16: retry of the reset-before batch: it was not indexed
bulk r16 "$U" "$T/b12"
check "req16 retry after reset-before: all 201 (was not committed)" \
    jcheck "$T/r16.out" 'st(j) == [201] * 3'
# bulk 17: retry of the reset-mid batch: it was indexed -> dedup 409
bulk r17 "$U" "$T/b13"
check "req17 retry after reset-mid: dedup 409 version_conflict" \
    jcheck "$T/r17.out" 'st(j) == [409] * 3 and et(j) ==
        ["version_conflict_engine_exception"] * 3 and j["errors"] is True'
# bulk 18: create of ids from req 1 -> 409 for those indexed, 201 for the
# ones that had failed with 429/400; index of a known id -> 200 updated
mkbulk "$T/b18" create one 6
printf '%s\n' '{"index":{"_index":"logs-test","_id":"one-1"}}' \
    '{"message":"again"}' >>"$T/b18"
bulk r18 "$U" "$T/b18"
check "req18 dedup: seen ids 409, failed ones 201, index -> 200 updated" \
    jcheck "$T/r18.out" 'st(j) == [409, 409, 201, 409, 201, 409, 200]
        and list(j["items"][6].values())[0]["result"] == "updated"'

# chunked request body (libcurl uses it for streamed uploads)
for i in 1 2 3; do
    printf '{"index":{"_id":"nineteen-%d"}}\n{"message":"chunk %d"}\n' "$i" "$i"
done >"$T/b19"
gzip -c "$T/b19" >"$T/b19.gz"
RC=0
CODE=$(curl -sS -o "$T/r19.out" -w '%{http_code}' --max-time 10 \
    -H 'Transfer-Encoding: chunked' -H 'Content-Encoding: gzip' \
    -H 'Content-Type: application/x-ndjson' --data-binary @"$T/b19.gz" \
    "$U/logs-chunked/_bulk?filter_path=items.*.error") || RC=$?
check "req19 chunked + gzip body, index from the path" jcheck "$T/r19.out" \
    'st(j) == [201] * 3 and ops(j) == ["index"] * 3'

# Expect: 100-continue is answered (curl would otherwise wait 1 s)
t0=$(now_ms)
RC=0
CODE=$(curl -sS -o "$T/r20.out" -w '%{http_code}' --max-time 10 \
    -H 'Expect: 100-continue' -H 'Content-Type: application/x-ndjson' \
    --data-binary @"$T/b19" "$U/logs-chunked/_bulk") || RC=$?
t1=$(now_ms)
check "Expect: 100-continue answered at once ($((t1 - t0)) ms)" \
    test "$CODE" = 200 -a $((t1 - t0)) -lt 900
check "index of known ids -> 200 updated" jcheck "$T/r20.out" \
    'st(j) == [200] * 3 and
     [list(i.values())[0]["_index"] for i in j["items"]] == ["logs-chunked"] * 3'

# keep-alive: two requests on one connection
curl -sS -o /dev/null -o /dev/null --max-time 10 "$U/" "$U/"

# templates are acknowledged and recorded
RC=0
CODE=$(curl -sS -o "$T/r21.out" -w '%{http_code}' -X PUT --max-time 10 \
    -H 'Content-Type: application/json' \
    -d '{"index_patterns":["logs-*"],"template":{}}' \
    "$U/_index_template/logship") || RC=$?
check "PUT /_index_template/logship acknowledged" jcheck "$T/r21.out" \
    'j == {"acknowledged": True}'
CODE=$(curl -sS -o /dev/null -w '%{http_code}' -I "$U/_index_template/logship")
check "HEAD of the stored template 200" test "$CODE" = 200
CODE=$(curl -sS -o "$T/r22.out" -w '%{http_code}' "$U/_nope")
check "unknown endpoint 404 JSON error" jcheck "$T/r22.out" \
    'j["status"] == 404 and "error" in j'
check "unknown endpoint HTTP 404" test "$CODE" = 404

# the recording
check_recording_req1() {
    python3 - "$T/rec" "$T/b1" "$T/b1.gz" <<'EOF'
import json, os, sys
rec, raw, gz = sys.argv[1:]
lines = [json.loads(l) for l in open(os.path.join(rec, "requests.ndjson"))]
r = [x for x in lines if x["bulk_seq"] == 1][0]
hdr = {h["name"].lower(): h["value"] for h in r["headers"]}
assert r["method"] == "POST" and r["path"] == "/_bulk", r
assert hdr["content-encoding"] == "gzip", hdr
assert r["content_encoding"] == "gzip"
assert r["body_bytes"] == os.path.getsize(gz), r
assert r["body_bytes_uncompressed"] == os.path.getsize(raw), r
assert r["actions"] == 6
saved = open(os.path.join(rec, r["body_file"]), "rb").read()
assert saved == open(raw, "rb").read(), "saved body differs"
EOF
}
check_recording_log() {
    python3 - "$T/rec" <<'EOF'
import json, os, sys
rec = sys.argv[1]
lines = [json.loads(l) for l in open(os.path.join(rec, "requests.ndjson"))]
bulk = {x["bulk_seq"]: x for x in lines if x["bulk_seq"]}
want = {4: "http", 8: "http", 11: None, 12: "reset-before", 13: "reset-mid",
        14: "truncate", 15: "garbage", 9: None}
for n, f in want.items():
    assert bulk[n]["fault"] == f, (n, bulk[n])
assert bulk[11]["delay_ms"] == 1500
assert bulk[12]["status"] is None
c = [x for x in lines if x["chunked"]][0]
assert c["path"].startswith("/logs-chunked/_bulk") and c["actions"] == 3
gets = [x for x in lines if x["method"] == "GET" and x["path"] == "/"]
assert gets[-1]["conn"] == gets[-2]["conn"], "no keep-alive"
EOF
}
check "recording of req1: gzip header, sizes, saved body" check_recording_req1
check "recording: faults, chunked body and keep-alive logged" \
    check_recording_log

# the counters
curl -sS -o "$T/stats.json" "$U/_fake/stats"
check "GET /_fake/stats counters" jcheck "$T/stats.json" \
    'j["bulk_requests"] == 20 and j["faults"] == {"http": 5, "delay": 1,
     "reset-before": 1, "reset-mid": 1, "truncate": 1, "garbage": 1}
     and j["items"]["429"] == 4 and j["items"]["400"] == 1
     and j["items"]["503"] == 2 and j["items"]["409"] == 1 + 3 + 4
     and j["docs_unique"] == 35 and j["docs_indexed"] == 39
     and j["indices"] == {"logs-test": 33, "logs-chunked": 6}
     and j["resources"] == ["/_index_template/logship"]'

# SIGTERM: clean exit with stats on stderr
kill -TERM "${PID[main]}"
rc=0
wait "${PID[main]}" || rc=$?
check "SIGTERM: exit status $rc is 0" test "$rc" = 0
check "SIGTERM: stats printed on stderr" grep -q '^fake_es: stats {"requests"' \
    "$T/main.stderr"

# ---------------------------------------------------------------------------
# versions

for v in 6.8.23 7.17.0 8.15.0 9.1.0 opensearch:2.19.1; do
    n=$v
    start_server "$n" --version "$v"
    url=${URL[$n]}
    curl -sS -D "$T/$n.hdr" -o "$T/$n.info" "$url/"
    if [[ $v == opensearch:* ]]; then
        num=${v#opensearch:}
        check "GET / is OpenSearch $num" jcheck "$T/$n.info" \
            "j['version']['distribution'] == 'opensearch' and
             j['version']['number'] == '$num' and 'OpenSearch' in j['tagline']
             and 'build_flavor' not in j['version']"
    else
        check "GET / is Elasticsearch $v" jcheck "$T/$n.info" \
            "j['version']['number'] == '$v' and
             j['version']['build_flavor'] == 'default' and
             j['tagline'] == 'You Know, for Search' and
             'distribution' not in j['version']"
    fi
    if [[ $v == 7.17.0 || $v == 8.* || $v == 9.* ]]; then
        check "$v sends X-elastic-product" grep -qi '^X-elastic-product: Elasticsearch' "$T/$n.hdr"
    else
        check "$v sends no X-elastic-product" eval "! grep -qi '^X-elastic-product' '$T/$n.hdr'"
    fi
    CODE=$(curl -sS -o /dev/null -w '%{http_code}' -I "$url/")
    check "HEAD / on $v is 200" test "$CODE" = 200
done

# 6.x wants _type (and echoes it), 8.x refuses it
mkbulk "$T/notype" create nt 1
bulk v6a "${URL[6.8.23]}" "$T/notype"
check "6.8: bulk without _type -> 400 type is missing" jcheck "$T/v6a.out" \
    '"type is missing" in j["error"]["reason"]'
printf '%s\n' '{"create":{"_index":"old","_type":"_doc","_id":"x"}}' '{"a":1}' \
    >"$T/withtype"
bulk v6b "${URL[6.8.23]}" "$T/withtype"
check "6.8: bulk with _type -> 201 with _type echoed" jcheck "$T/v6b.out" \
    'st(j) == [201] and j["items"][0]["create"]["_type"] == "_doc"'
bulk v8 "${URL[8.15.0]}" "$T/withtype"
check "8.15: _type -> 400 unknown parameter" jcheck "$T/v8.out" \
    'j["status"] == 400 and "_type" in j["error"]["reason"]'
printf '%s\n' '{"create":{"_index":"x","_id":"d"}}' '{"a":1,"a":2}' \
    '{"create":{"_index":"x","_id":"e"}}' '{"a":' >"$T/badsrc"
bulk v8b "${URL[8.15.0]}" "$T/badsrc"
check "8.15: duplicate key / broken source -> item 400 mapper_parsing" \
    jcheck "$T/v8b.out" 'st(j) == [400, 400] and
        et(j) == ["mapper_parsing_exception"] * 2'

# ---------------------------------------------------------------------------
# --fault flags, hang, --max-body

start_server misc --version 9.1.0 --max-body 4096 --fault 'req 1 hang' \
    --fault 'req 2-3 item 2 status 429'
mkbulk "$T/m1" create m 3
t0=$(now_ms)
bulk m1 "${URL[misc]}" "$T/m1" --max-time 1
check "--fault 'req 1 hang': curl times out (exit $RC is 28)" test "$RC" = 28
bulk m2 "${URL[misc]}" "$T/m1"
check "--fault 'req 2-3 item 2 status 429' (after a hung request)" \
    jcheck "$T/m2.out" 'st(j) == [201, 429, 201]'
head -c 5000 /dev/zero | tr '\0' 'x' >"$T/big"
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
    --data-binary @"$T/big" "${URL[misc]}/_bulk")
check "body over --max-body -> 413" test "$CODE" = 413
python3 -c 'import sys; sys.stdout.write(("{\"index\":{\"_index\":\"z\"}}\n{\"m\":\"" + "y" * 20000 + "\"}\n"))' >"$T/bomb"
bulk m3 "${URL[misc]}" "$T/bomb"
check "gzip body decoding over --max-body -> 413" test "$CODE" = 413
curl -sS -o "$T/m4.out" "${URL[misc]}/_fake/stats"
check "misc stats: 3 bulk requests, hang counted" jcheck "$T/m4.out" \
    'j["bulk_requests"] == 3 and j["faults"] == {"hang": 1}
     and j["requests"] == 4 and j["items"] == {"201": 2, "429": 1}'

# ---------------------------------------------------------------------------
# nothing crashed, no sanitizer complaints

for f in "$T"/*.stderr; do
    if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$f"; then
        bad "sanitizer report in $(basename "$f")"
        sed -n 1,40p "$f"
    fi
done
for pid in "${PIDS[@]}"; do
    [[ $pid == "${PID[main]}" ]] && continue
    check "server $pid still alive" kill -0 "$pid"
done

echo "t_fake_es_faults: $PASS passed, $FAIL failed"
((FAIL == 0))
