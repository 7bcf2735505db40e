# shellcheck shell=bash
# Helpers for logship integration tests (tests/integration/t_*.sh).
#
# Source it first thing in a test:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# It turns on `set -euo pipefail`.
#
# Environment (set by run.sh):
#   ES_URL        OpenSearch/Elasticsearch base URL, e.g. http://127.0.0.1:9200
#   ES_CURL_OPTS  extra curl flags for a user's cluster, e.g. "-k -u admin:secret"
#   LOGSHIP       path to the logship binary
#   FAKE_ES       path to the tests/fake_es/fake_es binary
#
# Conventions:
#   - Use unique index names: idx=$(es_index_name) (test name + pid), so tests
#     can run against a user's cluster; delete them with on_exit.
#   - Register cleanup with `on_exit CMD...`, not `trap ... EXIT` (which would
#     replace lib.sh's own trap).
#   - es_get/es_post/es_put/es_delete print the response body and FAIL the test
#     on transport errors and HTTP >= 400 (es_delete tolerates 404). Use es_req
#     to get the body of an error response, es_code to get just the status.
#   - BODY is passed to curl --data-binary: a literal string, @FILE, or @- (stdin).
set -euo pipefail

IT_TEST_NAME=$(basename "$0" .sh)
IT_TEST_NAME=${IT_TEST_NAME#t_}

# ---------------------------------------------------------------- basics

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# assert_eq EXPECTED ACTUAL [MSG]
assert_eq() {
	if [[ "$1" != "$2" ]]; then
		fail "${3:-assert_eq}: expected '$1', got '$2'"
	fi
}

# ---------------------------------------------------------------- cleanup

_it_exit_cmds=()

# on_exit CMD [ARGS...]: run at exit (pass or fail), last registered first.
on_exit() {
	local q
	printf -v q '%q ' "$@"
	_it_exit_cmds+=("$q")
}

_it_run_exit() {
	local rc=$? i
	# finish cleanup even if a second signal comes (run.sh signals the whole group)
	trap '' INT TERM HUP
	set +e
	for ((i = ${#_it_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_it_exit_cmds[i]}"
	done
	[[ -n ${_it_tmproot:-} ]] && rm -rf "$_it_tmproot"
	exit "$rc"
}
trap _it_run_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

_it_tmproot=$(mktemp -d "${TMPDIR:-/tmp}/logship-it-${IT_TEST_NAME}.XXXXXX")

# mktempdir: prints a new directory, removed at exit. Safe in $(...).
mktempdir() {
	mktemp -d "$_it_tmproot/d.XXXXXX"
}

# wait_until TIMEOUT_SECONDS CMD [ARGS...]: retry CMD every 0.2 s until it
# succeeds; returns 1 on timeout.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.2
	done
}

# ---------------------------------------------------------------- JSON

# json_get PATH: read JSON on stdin, print the value at PATH, a dotted path
# with list indexes (e.g. hits.hits.0._source.msg, or . for the whole doc).
# Strings print raw; other values as compact JSON (true, null, {...}).
# Fails if the path does not exist.
json_get() {
	python3 -c '
import json, sys
v = json.load(sys.stdin)
path = sys.argv[1]
for k in ([] if path in ("", ".") else path.strip(".").split(".")):
    try:
        v = v[int(k)] if isinstance(v, list) else v[k]
    except (KeyError, IndexError, ValueError, TypeError):
        sys.exit("json_get: no %r in %s" % (path, json.dumps(v)[:300]))
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$1"
}

# ---------------------------------------------------------------- cluster

es_url() {
	[[ -n ${ES_URL:-} ]] || fail "ES_URL is not set (run tests through tests/integration/run.sh)"
	printf '%s\n' "${ES_URL%/}"
}

# es_index_name [SUFFIX]: a unique, valid index name for this test.
# shellcheck disable=SC2120 # the suffix is optional
es_index_name() {
	local n="logship-it-${IT_TEST_NAME}-$$${1:+-$1}"
	n=${n,,}
	printf '%s\n' "${n//[^a-z0-9_.-]/-}"
}

_es_curl_opts() {
	_it_curl=(curl -sS --max-time "${ES_TIMEOUT:-60}")
	if [[ -n ${ES_CURL_OPTS:-} ]]; then
		local -a extra
		read -r -a extra <<<"$ES_CURL_OPTS"
		_it_curl+=("${extra[@]}")
	fi
}

_es_content_type() {
	case $1 in
	*_bulk* | *_msearch*) echo application/x-ndjson ;;
	*) echo application/json ;;
	esac
}

# es_code METHOD PATH [BODY]: print only the HTTP status code.
es_code() {
	local method=$1 path=$2 url
	url="$(es_url)/${path#/}"
	_es_curl_opts
	if [[ $# -ge 3 ]]; then
		"${_it_curl[@]}" -o /dev/null -w '%{http_code}\n' -X "$method" \
			-H "Content-Type: $(_es_content_type "$path")" --data-binary "$3" "$url"
	else
		"${_it_curl[@]}" -o /dev/null -w '%{http_code}\n' -X "$method" "$url"
	fi
}

# es_req METHOD PATH [BODY]: print the response body whatever the status;
# fails only on transport errors.
es_req() {
	local method=$1 path=$2 url
	url="$(es_url)/${path#/}"
	_es_curl_opts
	if [[ $# -ge 3 ]]; then
		"${_it_curl[@]}" -X "$method" -H "Content-Type: $(_es_content_type "$path")" \
			--data-binary "$3" "$url"
	else
		"${_it_curl[@]}" -X "$method" "$url"
	fi
}

# _es_checked OK_CODES METHOD PATH [BODY]
_es_checked() {
	local ok=$1 method=$2 path=$3 url out code body
	shift 3
	url="$(es_url)/${path#/}"
	_es_curl_opts
	if [[ $# -ge 1 ]]; then
		out=$("${_it_curl[@]}" -w '\n%{http_code}' -X "$method" \
			-H "Content-Type: $(_es_content_type "$path")" --data-binary "$1" "$url") ||
			fail "$method $path: curl failed (is $(es_url) up?)"
	else
		out=$("${_it_curl[@]}" -w '\n%{http_code}' -X "$method" "$url") ||
			fail "$method $path: curl failed (is $(es_url) up?)"
	fi
	code=${out##*$'\n'}
	body=${out%$'\n'*}
	if [[ $code -ge 400 && " $ok " != *" $code "* ]]; then
		fail "$method $path: HTTP $code: ${body:0:2000}"
	fi
	printf '%s\n' "$body"
}

es_get() { _es_checked "" GET "$@"; }
es_post() { _es_checked "" POST "$@"; }
es_put() { _es_checked "" PUT "$@"; }
es_delete() { _es_checked "404" DELETE "$@"; }

# es_refresh INDEX
es_refresh() {
	es_post "$1/_refresh" >/dev/null
}

# es_count INDEX [QUERYJSON]: print the number of matching docs (no refresh).
# QUERYJSON is a query ({"term":{...}}) or a whole body ({"query":{...}}).
es_count() {
	local body
	if [[ $# -ge 2 ]]; then
		body=$(python3 -c '
import json, sys
q = json.loads(sys.argv[1])
print(json.dumps(q if isinstance(q, dict) and "query" in q else {"query": q}))
' "$2") || fail "es_count: bad query JSON: $2"
		es_post "$1/_count" "$body" | json_get count
	else
		es_get "$1/_count" | json_get count
	fi
}

# es_wait_count INDEX N [TIMEOUT_SECONDS=30] [QUERYJSON]: refresh and count
# until the count is N; fails the test with the last count on timeout.
es_wait_count() {
	local index=$1 want=$2 tmo=${3:-30} got="" deadline
	deadline=$((SECONDS + tmo))
	shift 3 2>/dev/null || shift $#
	while :; do
		if [[ $(es_code POST "$index/_refresh") == 200 ]]; then
			got=$(es_count "$index" "$@")
			[[ $got == "$want" ]] && return 0
		fi
		((SECONDS < deadline)) || fail "es_wait_count $index: expected $want docs, have '${got:-no index}' after ${tmo}s"
		sleep 0.3
	done
}
