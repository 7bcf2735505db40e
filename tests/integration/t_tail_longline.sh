#!/usr/bin/env bash
# Over-long lines and bytes that are not text, with max_line_bytes 1MiB:
#  - a 10 MB line (in the file before the start, and appended in 1 MB
#    writes while logship runs) becomes one event of exactly 1 MiB flagged
#    log.flags ["truncated"]; the lines after it are intact at the right
#    offsets; a line of exactly 1 MiB is not flagged;
#  - NUL bytes, invalid UTF-8 (bad bytes, overlong forms, surrogates, a
#    sequence cut short), control characters, quotes and backslashes all
#    give valid JSON, with U+FFFD per invalid sequence.
# shellcheck source-path=SCRIPTDIR source=tail_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/tail_lib.sh"

tail_init
logs=$T/logs
tail_conf "$T/c.yml" -i 'max_line_bytes: 1MiB' "$logs/*.log"

python3 - "$logs" <<'PY'
import os, sys
d = sys.argv[1]
big = b"".join(b"%09d|" % i for i in range(1048576))  # 10 MiB, no newline
with open(os.path.join(d, "long.log"), "wb") as f:
    f.write(b"before\n" + big + b"\nafter-1\n" + b"y" * 1048576 + b"\nafter-2\n")
lines = [
    b"nul\x00inside\x00",
    b"\xff\xfe bad bytes",
    b"cut \xc3\x28 pair",
    b"overlong \xc0\xaf slash",
    b"surrogate \xed\xa0\x80 half",
    b"valid h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80",
    b"controls \x01\x1b[31m\x7f tab\there",
    b"quote \" backslash \\ end",
    b"cut at end \xe2\x82",
]
with open(os.path.join(d, "bytes.log"), "wb") as f:
    f.write(b"\n".join(lines) + b"\n")
PY
ls_start "$T/c.yml"
wait_lines 14 30

# the same 10 MB line appended in 1 MB writes while logship follows the file
python3 - "$logs/grow.log" <<'PY'
import sys, time
big = b"".join(b"%09d|" % i for i in range(1048576))
with open(sys.argv[1], "ab", buffering=0) as f:
    f.write(b"g-before\n")
    for i in range(0, len(big), 1 << 20):
        f.write(big[i:i + (1 << 20)])
        time.sleep(0.05)
    f.write(b"\ng-after\n")
PY
wait_lines 17 30
ls_stop
grep -q ' 2 truncated' "$LSLOG" || fail "the run summary does not count 2 truncated events"

python3 - "$OUT" "$logs" <<'PY' || fail "documents"
import json, os, sys
out, d = sys.argv[1], sys.argv[2]
by_file = {}
with open(out, "rb") as f:
    for n, raw in enumerate(f, 1):
        doc = json.loads(raw.decode("utf-8"))  # strict: valid UTF-8 JSON
        by_file.setdefault(os.path.basename(doc["log"]["file"]["path"]), []).append(doc)
for docs in by_file.values():
    docs.sort(key=lambda x: x["log"]["offset"])
big = "".join("%09d|" % i for i in range(1048576))
MiB = 1048576

def check(name, want):
    got = [(x["message"], x["log"]["offset"], x["log"].get("flags")) for x in by_file.get(name, [])]
    if got != want:
        for g, w in zip(got, want):
            if g != w:
                sys.exit("%s: got %r, want %r" % (name, (g[0][:60], len(g[0]), g[1], g[2]),
                                                   (w[0][:60], len(w[0]), w[1], w[2])))
        sys.exit("%s: %d events, want %d" % (name, len(got), len(want)))

check("long.log", [("before", 0, None), (big[:MiB], 7, ["truncated"]),
                   ("after-1", 7 + 10 * MiB + 1, None),
                   ("y" * MiB, 7 + 10 * MiB + 9, None),
                   ("after-2", 7 + 11 * MiB + 10, None)])
check("grow.log", [("g-before", 0, None), (big[:MiB], 9, ["truncated"]),
                   ("g-after", 9 + 10 * MiB + 1, None)])

raw = open(os.path.join(d, "bytes.log"), "rb").read().split(b"\n")[:-1]
want, off = [], 0
for line in raw:
    # Python's decoder replaces each maximal invalid subpart with one U+FFFD,
    # as the Unicode standard recommends
    want.append((line.decode("utf-8", "replace"), off, None))
    off += len(line) + 1
check("bytes.log", want)
PY
# NUL is written as \u0000, never as a raw byte, in the NDJSON itself
if grep -qaP '\x00' "$OUT"; then fail "a raw NUL byte in the output"; fi
grep -qF 'nul\u0000inside\u0000' "$OUT" || fail "NUL not escaped as \\u0000"
echo ok
