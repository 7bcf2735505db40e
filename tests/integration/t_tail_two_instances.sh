#!/usr/bin/env bash
# One process per registry: while `logship run` ships a file, a second
# `logship run` with the same config (and a `logship backfill` on the same
# registry) exits with status 1 within seconds, naming the first one's pid;
# `logship check` and `logship parse` with that config still work (they
# never open the registry). The first instance keeps running and ships every
# line exactly once. The lock is released at exit, after SIGTERM and after
# SIGKILL alike (the kernel drops a dead process's flock): a fresh start
# then succeeds and resumes from the registry.
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
log=$T/logs/app.log
tail_conf "$T/c.yml" "$log"

# second CMD...: runs a second logship command (stderr to T/second.err);
# it must end within 10 s with status 1 and the "in use" message naming
# the running instance.
second() {
	local rc=0 want
	note "second: logship $*"
	timeout -k 5 10 "$LOGSHIP" "$@" >"$T/second.out" 2>"$T/second.err" || rc=$?
	[[ $rc != 124 && $rc != 137 ]] || fail "second: 'logship $*' still running after 10 s"
	[[ $rc == 1 ]] || fail "second: 'logship $*' exited with status $rc, expected 1: $(cat "$T/second.err")"
	want="registry $REG is in use by another logship process (pid $LS_PID); two instances sharing a registry would ship lines twice"
	grep -qF -- "$want" "$T/second.err" ||
		fail "second: no '$want' on stderr of 'logship $*': $(cat "$T/second.err")"
	[[ ! -s $T/second.out ]] || fail "second: 'logship $*' wrote to stdout: $(head -c 300 "$T/second.out")"
	! grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$T/second.err" ||
		fail "second: a sanitizer report from 'logship $*': $(cat "$T/second.err")"
}

# ---- a second run and a backfill are refused while the first runs
write_numbered "$log" 1 20000 20
ls_start "$T/c.yml"
wait_lines 20000 30
second run -c "$T/c.yml"
second backfill -c "$T/c.yml" "$log"
ls_alive || fail "the first instance died when the second one started"

# ---- check and parse do not take the lock
"$LOGSHIP" check -c "$T/c.yml" >/dev/null 2>"$T/check.err" ||
	fail "logship check failed while logship runs: $(cat "$T/check.err")"
got=$(printf 'hello\n' | "$LOGSHIP" parse -c "$T/c.yml" 2>"$T/parse.err") ||
	fail "logship parse failed while logship runs: $(cat "$T/parse.err")"
[[ $got == *'"message":"hello"'* ]] || fail "logship parse printed: $got"

# ---- the first one goes on, every line once
write_numbered "$log" 20001 30000 20
wait_lines 30000 30
wait_committed "$log"
ls_stop
tail_py numbered "$OUT" 30000
[[ -f $REG.lock ]] || fail "the lock file $REG.lock was removed"
perm=$(stat -c %a "$REG.lock")
assert_eq 600 "$perm" "mode of $REG.lock"

# ---- released after SIGTERM: a fresh start resumes from the registry
write_numbered "$log" 30001 35000 20
ls_start "$T/c.yml"
wait_lines 35000 30
wait_committed "$log"
assert_eq "$LS_PID" "$(tr -d '\n' <"$REG.lock")" "pid in $REG.lock"
second run -c "$T/c.yml"

# ---- released after SIGKILL: no registry_close(), the kernel drops it
ls_kill9
note "killed with SIGKILL"
write_numbered "$log" 35001 40000 20
ls_start "$T/c.yml"
wait_lines 40000 30
wait_committed "$log"
ls_stop
tail_py numbered "$OUT" 40000
tail_py offsets "$OUT" "$log"
n_refused=$(grep -cF "is in use by another logship process" "$LSLOG" || true)
assert_eq 0 "$n_refused" "refusals in the log of the instances that ran"
echo ok
