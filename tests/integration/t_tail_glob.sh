#!/usr/bin/env bash
# `**` globs and excludes: paths ['logs/**/*.log'] with a base-name exclude
# ('*.debug.log'), an absolute path exclude ('.../logs/archive/**') and a
# relative one ('skip/*.log'). Files at every depth (zero directories too)
# are read, excluded, hidden-directory and non-matching files are not, and
# files that appear later are picked up: in a new directory tree made after
# the start, in an existing directory, and renamed into the glob. The
# excluded files are written before the last included one, and the output
# holds exactly the included files' lines.
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
logs=$T/logs
tail_conf "$T/c.yml" -i "exclude: ['*.debug.log', '$logs/archive/**', 'skip/*.log']" \
	"$logs/**/*.log"

# mk REL N: writes N lines "REL i" to logs/REL (directories made as needed)
mk() {
	mkdir -p "$(dirname "$logs/$1")"
	python3 -c 'import sys; open(sys.argv[1], "w").write("".join("%s %d\n" % (sys.argv[2], i) for i in range(1, int(sys.argv[3]) + 1)))' \
		"$logs/$1" "$1" "$2"
}
mk top.log 10
mk a/one.log 20
mk a/b/c/deep.log 30
mk a/x.debug.log 5    # excluded by name
mk archive/old.log 5  # excluded by absolute path
mk a/b/skip/s.log 5   # excluded by relative path
mk a/notes.txt 5      # does not match
mk .hidden/h.log 5    # ** does not enter dot directories
ls_start "$T/c.yml"
wait_lines 60 30

mk new/y.debug.log 5          # excluded, in a new directory
mk archive/2026/new.log 5     # excluded, below the pruned archive/
mk new/deeper/deepest/z.log 7 # a new directory tree
wait_lines 67 30
mk a/later.log 3 # a new file in a watched directory
wait_lines 70 30
mv "$logs/a/notes.txt" "$logs/a/notes.log" # renamed into the glob
wait_lines 75 30
ls_stop

python3 - "$OUT" "$logs" <<'PY' || fail "globs"
import json, os, sys
out, logs = sys.argv[1], sys.argv[2]
want = {"top.log": 10, "a/one.log": 20, "a/b/c/deep.log": 30,
        "new/deeper/deepest/z.log": 7, "a/later.log": 3, "a/notes.log": 5}
got = {}
for line in open(out):
    d = json.loads(line)
    rel = os.path.relpath(d["log"]["file"]["path"], logs)
    got.setdefault(rel, []).append(d["message"])
if set(got) != set(want):
    sys.exit("files shipped: %s; want %s" % (sorted(got), sorted(want)))
for rel, n in want.items():
    tag = "a/notes.txt" if rel == "a/notes.log" else rel
    if sorted(got[rel]) != sorted("%s %d" % (tag, i) for i in range(1, n + 1)):
        sys.exit("%s: %d lines, want each of 1..%d once" % (rel, len(got[rel]), n))
PY
echo ok
