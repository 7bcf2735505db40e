#!/usr/bin/env bash
# poll: true (no inotify; for NFS): logship holds no inotify descriptor,
# and still picks up appends, new files, a rename + create rotation and a
# deletion by polling (poll_interval 100ms, scan_interval 200ms).
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
logs=$T/logs
tail_conf "$T/c.yml" -i 'poll: true' -i 'poll_interval: 100ms' "$logs/*.log"

inotify_fds() {
	{ find "/proc/$LS_PID/fd" -lname 'anon_inode:inotify' 2>/dev/null || true; } | wc -l
}

write_numbered "$logs/a.log" 1 100
ls_start "$T/c.yml"
wait_lines 100 30
assert_eq 0 "$(inotify_fds)" "inotify descriptors with poll: true"

write_numbered "$logs/a.log" 101 200 # append
wait_lines 200 30
write_numbered "$logs/b.log" 201 300 # a new file
wait_lines 300 30
write_numbered "$logs/a.log" 301 350 # rename + create
mv "$logs/a.log" "$logs/a.log.1"
write_numbered "$logs/a.log" 351 400
wait_lines 400 30
write_numbered "$logs/b.log" 401 450 # delete after writing
rm "$logs/b.log"
wait_lines 450 30
assert_eq 0 "$(inotify_fds)" "inotify descriptors with poll: true"
ls_stop
tail_py numbered "$OUT" 450

# the same config without poll does use inotify (so the check above can fail)
rm -f "$OUT"
tail_conf "$T/c2.yml" "$logs/*.log"
ls_start "$T/c2.yml"
write_numbered "$logs/c.log" 1 10
wait_lines 10 30
(($(inotify_fds) >= 1)) || fail "no inotify descriptor without poll"
ls_stop
echo ok
