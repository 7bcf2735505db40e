#!/usr/bin/env bash
# Run logship's integration tests against a real OpenSearch.
#
#   tests/integration/run.sh [t_name.sh ...]     (default: every t_*.sh here)
#
# ES_URL set and non-empty: use that cluster (it must answer GET /, else the
#   run fails; nothing is skipped). ES_CURL_OPTS adds curl flags (e.g. -k -u u:p).
# ES_URL unset or empty: start a real single-node OpenSearch with
#   tests/opensearch/opensearch (Java 17 + Maven; first build needs Maven
#   Central) and always stop it at exit.
#
# Tests get: ES_URL, ES_CURL_OPTS, LOGSHIP (default $BUILDDIR/logship if
#   BUILDDIR is set, else ./logship), FAKE_ES (default
#   $BUILDDIR/tests/fake_es/fake_es, else ./tests/fake_es/fake_es), BUILDDIR,
#   SRCDIR (source top dir). Paths are made absolute.
# Also: IT_TEST_TIMEOUT (seconds per test, default 600), IT_LOGDIR (keep the
#   per-test logs there; by default they go to a temp dir kept only on failure).
#
# Prints PASS/FAIL per test and ends with exactly one "N passed, N failed";
# exits non-zero if any test failed or none ran.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)

abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

if [[ -n ${BUILDDIR:-} ]]; then
	BUILDDIR=$(abspath "$BUILDDIR")
	: "${LOGSHIP:=$BUILDDIR/logship}"
	: "${FAKE_ES:=$BUILDDIR/tests/fake_es/fake_es}"
else
	: "${LOGSHIP:=./logship}"
	: "${FAKE_ES:=./tests/fake_es/fake_es}"
fi
LOGSHIP=$(abspath "$LOGSHIP")
FAKE_ES=$(abspath "$FAKE_ES")
# Times without an offset are read in the machine's zone: the same on every
# machine for the tests.
export TZ=UTC
export LOGSHIP FAKE_ES SRCDIR=$srcdir
[[ -n ${BUILDDIR:-} ]] && export BUILDDIR
test_timeout=${IT_TEST_TIMEOUT:-600}

# ---- which tests
tests=()
if [[ $# -gt 0 ]]; then
	for a in "$@"; do
		if [[ -f $a ]]; then
			tests+=("$(abspath "$a")")
		elif [[ -f $here/$a ]]; then
			tests+=("$here/$a")
		elif [[ -f $here/$a.sh ]]; then
			tests+=("$here/$a.sh")
		else
			echo "run.sh: no such test: $a" >&2
			echo "0 passed, $# failed"
			exit 1
		fi
	done
else
	shopt -s nullglob
	tests=("$here"/t_*.sh)
	shopt -u nullglob
fi
if [[ ${#tests[@]} -eq 0 ]]; then
	echo "run.sh: no tests found" >&2
	echo "0 passed, 0 failed"
	exit 1
fi

# ---- cleanup: always stop the node we started and any running test
statedir=""
child=""
logdir=""
keep_logs=0
cleanup() {
	local rc=$? i
	trap - EXIT
	trap '' INT TERM HUP
	set +e
	if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
		# the test runs its on_exit cleanup on SIGTERM; give it 15 s
		kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null
		for ((i = 0; i < 150; i++)); do
			kill -0 "$child" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$child" 2>/dev/null
	fi
	if [[ -n $statedir ]]; then
		"$srcdir/tests/opensearch/opensearch" stop "$statedir"
		rm -rf "$statedir"
	fi
	if [[ -n $logdir && -z ${IT_LOGDIR:-} ]]; then
		if ((keep_logs)); then
			echo "test logs kept in $logdir" >&2
		else
			rm -rf "$logdir"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the cluster
if [[ -n ${ES_URL:-} ]]; then
	ES_URL=${ES_URL%/}
	curl_extra=()
	[[ -n ${ES_CURL_OPTS:-} ]] && read -r -a curl_extra <<<"$ES_CURL_OPTS"
	if ! root=$(curl -fsS --max-time 15 "${curl_extra[@]}" "$ES_URL/" 2>&1); then
		echo "run.sh: ES_URL=$ES_URL does not answer GET /: $root" >&2
		echo "run.sh: start a cluster there, or unset ES_URL to start a local OpenSearch" >&2
		echo "0 passed, ${#tests[@]} failed"
		exit 1
	fi
else
	statedir=$(mktemp -d "${TMPDIR:-/tmp}/logship-opensearch.XXXXXX")
	if ! ES_URL=$(OPENSEARCH_WATCH_PID=$$ "$srcdir/tests/opensearch/opensearch" start "$statedir"); then
		echo "run.sh: could not start OpenSearch (see above)" >&2
		echo "0 passed, ${#tests[@]} failed"
		exit 1
	fi
	root=$(curl -fsS --max-time 15 "$ES_URL/")
fi
export ES_URL ES_CURL_OPTS="${ES_CURL_OPTS:-}"
version=$(printf '%s' "$root" | python3 -c 'import json,sys; d=json.load(sys.stdin); v=d.get("version",{}); print(v.get("distribution","elasticsearch"), v.get("number","?"))' 2>/dev/null || echo "unknown")
echo "cluster: $ES_URL ($version)"

# ---- run
if [[ -n ${IT_LOGDIR:-} ]]; then
	logdir=$IT_LOGDIR
	mkdir -p "$logdir"
else
	logdir=$(mktemp -d "${TMPDIR:-/tmp}/logship-it-logs.XXXXXX")
fi
passed=0
failed=0
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	log=$logdir/$name.log
	start=$SECONDS
	# own session/process group, so cleanup can kill the test and its children
	setsid timeout -k 10 "$test_timeout" bash "$t" </dev/null >"$log" 2>&1 &
	child=$!
	rc=0
	wait "$child" || rc=$?
	child=""
	secs=$((SECONDS - start))
	if [[ $rc -eq 0 ]]; then
		passed=$((passed + 1))
		echo "PASS $name (${secs}s)"
	else
		failed=$((failed + 1))
		keep_logs=1
		note="exit $rc"
		[[ $rc -eq 124 ]] && note="timed out after ${test_timeout}s"
		echo "FAIL $name ($note, ${secs}s) log: $log"
		tail -n 40 "$log" | sed 's/^/    | /'
	fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
