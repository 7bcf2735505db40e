#!/usr/bin/env bash
# The elasticsearch output's TLS options (ca_file, cert_file, key_file,
# verify) against a TLS endpoint: tls_proxy.py terminates TLS in front of
# the node (plain HTTP behind it), with certificates made here by the
# openssl CLI (a test CA, a server certificate for 127.0.0.1, one for
# other.example only, a client certificate, an unrelated CA). Each case
# is a `logship backfill` of N lines into its own index:
#   a  ca_file = the test CA: N documents, exit 0 (and `setup` works)
#   b  no ca_file (system CAs): `setup` exits 1 and `backfill` keeps
#      retrying, both naming the host and "SSL certificate problem";
#      nothing indexed; SIGTERM → exit 1 (grace period over); a --resume
#      with ca_file ships all N exactly once
#   c  ca_file = the unrelated CA: the same verification error
#   d  a certificate for other.example: host-name mismatch error
#   e  verify: false against (d)'s server: N documents, one warning
#   f  the proxy requires a client certificate: without cert_file and
#      key_file a handshake error; with them N documents (a key that does
#      not match the certificate is a clear error too)
#   g  no line of a key_file (the client's, or the mismatched one of f)
#      ever appears in any log
# shellcheck source-path=SCRIPTDIR source=es_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"

N=2000
d=$ES_WORK
pki=$d/pki
proxy_py=$(dirname "${BASH_SOURCE[0]}")/tls_proxy.py
# libcurl's (OpenSSL) texts; the tests need the host and this reason on one
# line. VERIFY_ERR is what a server sending only its own certificate gets
# (the proxies without --client-ca); one that also sends the CA gets
# "self-signed certificate in certificate chain".
VERIFY_ERR="SSL certificate problem: unable to get local issuer certificate"
NAME_ERR="SSL: no alternative certificate subject name matches target host name '127.0.0.1'"
MTLS_ERR="alert certificate required"
VERIFY_OFF_WARN="verify: false: server certificates are not checked; anyone on the path can read and change the data"
GRACE=2s

command -v openssl >/dev/null || fail "the openssl CLI is needed (scripts/deps.sh installs it)"
[[ -f $proxy_py ]] || fail "no $proxy_py"
tmpl=$(es_index_name tmpl)
on_exit es_remove "_index_template/$tmpl"
for c in a b c d e f; do
	on_exit es_remove "$(es_index_name "$c")"
done

# ---------------------------------------------------------------- certificates

# tls_ca NAME CN: a self-signed CA, $pki/NAME.pem and NAME.key.
tls_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$pki/$1.key" -out "$pki/$1.pem" -days 2 -subj "/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" >>"$pki/openssl.log" 2>&1 ||
		fail "openssl: cannot make CA $1: $(tail -n 5 "$pki/openssl.log")"
}

# tls_leaf NAME CA CN EXTENDED_KEY_USAGE [SUBJECT_ALT_NAME]: a certificate
# signed by CA, $pki/NAME.pem and NAME.key.
tls_leaf() {
	local name=$1 ca=$2 cn=$3 usage=$4 san=${5:-}
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature"
		echo "extendedKeyUsage=$usage"
		echo "subjectKeyIdentifier=hash"
		echo "authorityKeyIdentifier=keyid"
		[[ -z $san ]] || echo "subjectAltName=$san"
	} >"$pki/$name.ext"
	if ! openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "/CN=$cn" >>"$pki/openssl.log" 2>&1 ||
		! openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.pem" -CAkey "$pki/$ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$pki/$name.ext" \
			-out "$pki/$name.pem" >>"$pki/openssl.log" 2>&1; then
		fail "openssl: cannot make certificate $name: $(tail -n 5 "$pki/openssl.log")"
	fi
}

mkdir "$pki"
tls_ca ca "logship test CA"
tls_ca other-ca "unrelated test CA"
tls_leaf server ca 127.0.0.1 serverAuth "IP:127.0.0.1,DNS:localhost"
tls_leaf wrong-name ca other.example serverAuth "DNS:other.example"
tls_leaf client ca logship-client clientAuth
openssl verify -CAfile "$pki/ca.pem" "$pki/server.pem" "$pki/wrong-name.pem" "$pki/client.pem" >/dev/null ||
	fail "the test certificates do not verify against the test CA"

# ---------------------------------------------------------------- proxies

# The proxy talks to the cluster as the es_* helpers do (a user's cluster
# may be https); logship gets only the credentials.
upstream_opts=()
auth_opts=""
if [[ -n ${ES_CURL_OPTS:-} ]]; then
	read -r -a _o <<<"$ES_CURL_OPTS"
	for ((i = 0; i < ${#_o[@]}; i++)); do
		case ${_o[i]} in
		-k | --insecure) upstream_opts+=(--upstream-insecure) ;;
		--cacert) upstream_opts+=(--upstream-cafile "${_o[++i]}") ;;
		-u | --user) auth_opts+=" -u ${_o[++i]}" ;;
		esac
	done
fi

# _tls_proxy_stop PID: SIGTERM and reap (quietly: no job notice in the log).
_tls_proxy_stop() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# tls_proxy_start NAME ARGS...: tls_proxy.py ARGS... in front of the
# cluster (log: $ES_LOGS/proxy-NAME.log); sets PROXY_URL; killed at exit.
tls_proxy_start() {
	local name=$1 out pid line
	shift
	out=$ES_WORK/proxy-$name.ready
	python3 "$proxy_py" ${upstream_opts[@]+"${upstream_opts[@]}"} "$@" "$(es_url)" \
		>"$out" 2>"$ES_LOGS/proxy-$name.log" &
	pid=$!
	es_track "$pid"
	on_exit _tls_proxy_stop "$pid"
	line=$(es_wait_ready "$pid" "$out" TLS_PROXY_READY)
	[[ $line == "TLS_PROXY_READY https://127.0.0.1:"* ]] ||
		fail "tls_proxy $name did not start: $(cat "$ES_LOGS/proxy-$name.log")"
	PROXY_URL=${line#TLS_PROXY_READY }
}

tls_proxy_start good --cert "$pki/server.pem" --key "$pki/server.key"
GOOD=$PROXY_URL
tls_proxy_start wrong-name --cert "$pki/wrong-name.pem" --key "$pki/wrong-name.key"
WRONG=$PROXY_URL
tls_proxy_start mtls --cert "$pki/server.pem" --key "$pki/server.key" --client-ca "$pki/ca.pem"
MTLS=$PROXY_URL
echo "proxies: good $GOOD, wrong name $WRONG, client certificate required $MTLS"

# ---------------------------------------------------------------- helpers

es_gen "$d/access.log" "$N" --seed 71

# tls_config FILE URL INDEX [--output 'k: v']...: a backfill config for
# INDEX through URL, with a short grace period.
tls_config() {
	local file=$1 url=$2 index=$3
	shift 3
	mkdir -p "$(dirname "$file")"
	ES_CURL_OPTS=$auth_opts es_config "$file" --paths "$d/access.log" --index "$index" \
		--host "$url" --output "template_name: $tmpl" "$@"
	sed -i "s/^  grace_period: 30s\$/  grace_period: $GRACE/" "$file"
	grep -q "^  grace_period: $GRACE\$" "$file" || fail "tls_config: no grace_period line in $file"
}

# tls_ship NAME CONF INDEX [ARGS...]: a backfill (ARGS before the file)
# that must index all N lines, checked on the node itself.
tls_ship() {
	local name=$1 conf=$2 index=$3
	shift 3
	ls_backfill "$name" "$conf" "$@" "$d/access.log"
	assert_eq 0 "$LS_RC" "$name: backfill exit status"
	assert_eq "$N" "$LS_LINES" "$name: lines"
	assert_eq "$N" "$LS_INDEXED" "$name: indexed"
	assert_eq 0 "$LS_DUPLICATE" "$name: duplicate"
	assert_eq 0 "$LS_DEAD" "$name: dead-lettered"
	assert_eq "$N" "$(es_count_now "$index")" "$name: _count on the node"
}

# tls_setup_refused NAME CONF URL TEXT: `logship setup` fails (exit 1,
# README: "the cluster refused or was unreachable") with a line naming URL
# and saying TEXT.
tls_setup_refused() {
	local name=$1 conf=$2 url=$3 want=$4 log rc=0
	log=$ES_LOGS/$name.log
	timeout -k 5 60 "$LOGSHIP" setup -c "$conf" >"$log" 2>&1 || rc=$?
	[[ $rc -ne 124 ]] || fail "$name: logship setup still running after 60 s"
	assert_eq 1 "$rc" "$name: logship setup exit status"
	grep -F "$want" "$log" | grep -qF "$url/" ||
		fail "$name: no line naming $url and saying '$want': $(cat "$log")"
	echo "$name: $(grep -F "$want" "$log" | head -n 1)"
}

# _tls_handshakes LOG: how many handshakes (ok or failed) a proxy logged.
_tls_handshakes() {
	grep -c '^tls_proxy: handshake' "$1" || true
}

# _tls_more_handshakes LOG N: true once the proxy logged more than N.
_tls_more_handshakes() {
	(($(_tls_handshakes "$1") > $2))
}

# tls_backfill_refused NAME CONF URL TEXT INDEX PROXY [PROXY_TEXT]: a
# backfill that cannot get through: it logs TEXT naming URL, goes on
# retrying (the proxy sees new handshakes; PROXY_TEXT in its log), indexes
# nothing and does not exit; SIGTERM then ends it with status 1 once the
# grace period is over (README: "the grace period ran out").
tls_backfill_refused() {
	local name=$1 conf=$2 url=$3 want=$4 index=$5 plog=$ES_LOGS/proxy-$6.log
	local ptext=${7:-} log=$ES_LOGS/$1.log pid rc=0 line seen i
	"$LOGSHIP" backfill -c "$conf" "$d/access.log" >"$log" 2>&1 &
	pid=$!
	es_track "$pid"
	if ! wait_until 15 grep -qF "$want" "$log"; then
		kill -0 "$pid" 2>/dev/null || fail "$name: backfill exited without saying '$want': $(tail -n 5 "$log")"
		fail "$name: no '$want' in the backfill's log after 15 s"
	fi
	line=$(grep -F "$want" "$log" | head -n 1)
	[[ $line == *"$url"* && $line == *retrying* ]] ||
		fail "$name: the error does not name $url and say that it retries: $line"
	[[ $(grep -oF "$url" <<<"$line" | wc -l) -eq 1 ]] ||
		fail "$name: the error names $url more than once: $line"
	echo "$name: $line"
	seen=$(_tls_handshakes "$plog")
	wait_until 15 _tls_more_handshakes "$plog" "$seen" ||
		fail "$name: no new handshake in 15 s after the error: backfill does not retry"
	[[ -z $ptext ]] || grep -qF "$ptext" "$plog" ||
		fail "$name: the proxy never logged '$ptext': $(tail -n 3 "$plog")"
	kill -0 "$pid" 2>/dev/null || fail "$name: backfill exited while the cluster was unreachable"
	assert_eq 404 "$(es_code GET "$index/_count")" "$name: GET $index/_count (the index must not exist)"
	kill -TERM "$pid"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "$name: backfill still running 30 s after SIGTERM"
	wait "$pid" || rc=$?
	assert_eq 1 "$rc" "$name: exit status of a backfill stopped with events in flight"
	grep -q "grace period over" "$log" || fail "$name: no 'grace period over' in the log: $(tail -n 3 "$log")"
	[[ ! -s $(dirname "$conf")/dead-letter.ndjson ]] ||
		fail "$name: dead-lettered: $(head -c 600 "$(dirname "$conf")/dead-letter.ndjson")"
}

# ---------------------------------------------------------------- a: the test CA
idx=$(es_index_name a)
tls_config "$d/a/tls.yml" "$GOOD" "$idx" --output "ca_file: '$pki/ca.pem'"
"$LOGSHIP" setup -c "$d/a/tls.yml" >"$ES_LOGS/a-setup.log" 2>&1 ||
	fail "a: logship setup through TLS failed: $(cat "$ES_LOGS/a-setup.log")"
tls_ship a "$d/a/tls.yml" "$idx"
if grep -qF "verify: false" "$ES_LOGS/a.log"; then
	fail "a: a verify warning with verify on: $(grep -F "verify: false" "$ES_LOGS/a.log")"
fi

# ---------------------------------------------------------------- b: system CAs only
idx=$(es_index_name b)
tls_config "$d/b/system-ca.yml" "$GOOD" "$idx"
tls_setup_refused b-setup "$d/b/system-ca.yml" "$GOOD" "$VERIFY_ERR"
tls_backfill_refused b "$d/b/system-ca.yml" "$GOOD" "$VERIFY_ERR" "$idx" good "alert unknown ca"
# nothing was acknowledged, so a resumed run with the right CA ships all
tls_config "$d/b/fixed.yml" "$GOOD" "$idx" --output "ca_file: '$pki/ca.pem'"
tls_ship b-rerun "$d/b/fixed.yml" "$idx" --resume

# ---------------------------------------------------------------- c: an unrelated CA
idx=$(es_index_name c)
tls_config "$d/c/tls.yml" "$GOOD" "$idx" --output "ca_file: '$pki/other-ca.pem'"
tls_setup_refused c-setup "$d/c/tls.yml" "$GOOD" "$VERIFY_ERR"
tls_backfill_refused c "$d/c/tls.yml" "$GOOD" "$VERIFY_ERR" "$idx" good "alert unknown ca"

# ---------------------------------------------------------------- d: the wrong name
idx=$(es_index_name d)
tls_config "$d/d/tls.yml" "$WRONG" "$idx" --output "ca_file: '$pki/ca.pem'"
tls_setup_refused d-setup "$d/d/tls.yml" "$WRONG" "$NAME_ERR"
tls_backfill_refused d "$d/d/tls.yml" "$WRONG" "$NAME_ERR" "$idx" wrong-name
if grep -q '"POST /_bulk' "$ES_LOGS/proxy-wrong-name.log"; then
	fail "d: a bulk request went through despite the wrong name: $(grep -m 1 '"POST /_bulk' "$ES_LOGS/proxy-wrong-name.log")"
fi

# ---------------------------------------------------------------- e: verify: false
idx=$(es_index_name e)
tls_config "$d/e/tls.yml" "$WRONG" "$idx" --output "verify: false"
tls_ship e "$d/e/tls.yml" "$idx"
assert_eq 1 "$(grep -cF "$VERIFY_OFF_WARN" "$ES_LOGS/e.log" || true)" "e: warnings '$VERIFY_OFF_WARN'"
echo "e: $(grep -F "$VERIFY_OFF_WARN" "$ES_LOGS/e.log")"

# ---------------------------------------------------------------- f: client certificates
idx=$(es_index_name f)
tls_config "$d/f/no-cert.yml" "$MTLS" "$idx" --output "ca_file: '$pki/ca.pem'"
tls_setup_refused f-setup "$d/f/no-cert.yml" "$MTLS" "$MTLS_ERR"
tls_backfill_refused f "$d/f/no-cert.yml" "$MTLS" "$MTLS_ERR" "$idx" mtls \
	"peer did not return a certificate"
tls_config "$d/f/bad-key.yml" "$MTLS" "$idx" --output "ca_file: '$pki/ca.pem'" \
	--output "cert_file: '$pki/client.pem'" --output "key_file: '$pki/server.key'"
tls_setup_refused f-bad-key "$d/f/bad-key.yml" "$MTLS" "unable to set private key file"
tls_config "$d/f/cert.yml" "$MTLS" "$idx" --output "ca_file: '$pki/ca.pem'" \
	--output "cert_file: '$pki/client.pem'" --output "key_file: '$pki/client.key'" \
	--service "log_level: debug"
tls_ship f-cert "$d/f/cert.yml" "$idx"
grep -qF "client certificate logship-client" "$ES_LOGS/proxy-mtls.log" ||
	fail "f: the proxy never saw the client certificate"

# ---------------------------------------------------------------- g: the key stays secret
grep -v -- '-----' "$pki/client.key" >"$d/key-lines"
grep -v -- '-----' "$pki/server.key" >>"$d/key-lines"
[[ $(wc -l <"$d/key-lines") -ge 4 ]] || fail "g: cannot read the keys' lines"
if grep -rlF -f "$d/key-lines" "$ES_LOGS" >"$d/leaks"; then
	fail "g: a line of a key_file is in $(tr '\n' ' ' <"$d/leaks")"
fi

es_done
