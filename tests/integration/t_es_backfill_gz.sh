#!/usr/bin/env bash
# Issue 6, end-to-end 6: `logship backfill` of rotated archives: a .gz, a
# .gz of three concatenated gzip members (what `cat a.gz b.gz` and some
# log rotators make), a gzip'd file without the .gz name and a plain one,
# given as a glob. Every line is indexed once. The same backfill again
# indexes nothing new: it reports every line as a duplicate and the count
# does not move.
# shellcheck source-path=SCRIPTDIR source=es_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/es_lib.sh"

idx=$(es_index_name)
d=$ES_WORK
on_exit es_remove "$idx"
mkdir "$d/archive"

# lines 1..20000, 20001..50000, 50001..55000, 55001..65000
es_gen "$d/archive/access.log.4.gz" 20000 --first 1 --seed 61 --gzip-members 1
es_gen "$d/archive/access.log.3.gz" 30000 --first 20001 --seed 62 --gzip-members 3
es_gen "$d/archive/access.log.2" 5000 --first 50001 --seed 63 --gzip-members 1
es_gen "$d/archive/access.log.1" 10000 --first 55001 --seed 64
N=65000
assert_eq 3 "$(python3 -c 'import sys,zlib
data = open(sys.argv[1], "rb").read(); n = 0
while data:
    d = zlib.decompressobj(31); d.decompress(data); data = d.unused_data; n += 1
print(n)' "$d/archive/access.log.3.gz")" "gzip members in access.log.3.gz"

es_config "$d/backfill.yml" --paths "$d/archive/*" --index "$idx" --output "batch_max_events: 5000"

# ---- first run: everything is new
ls_backfill first "$d/backfill.yml" "$d/archive/*"
assert_eq 0 "$LS_RC" "first backfill: exit status"
assert_eq "$N" "$LS_LINES" "first backfill: lines"
assert_eq "$N" "$LS_INDEXED" "first backfill: indexed"
assert_eq 0 "$LS_DUPLICATE" "first backfill: duplicate"
assert_eq 0 "$LS_DEAD" "first backfill: dead-lettered"
assert_eq 0 "$LS_PARSE_FAILED" "first backfill: failed to parse"
assert_eq "$N" "$(es_count_now "$idx")" "_count after the first backfill"
range() { es_count "$idx" "{\"range\":{\"http.response.body.bytes\":{\"gte\":$1,\"lte\":$2}}}"; }
assert_eq 20000 "$(range 1 20000)" "lines of access.log.4.gz"
assert_eq 30000 "$(range 20001 50000)" "lines of access.log.3.gz (3 members)"
assert_eq 10000 "$(range 20001 30000)" "lines of access.log.3.gz's first member"
assert_eq 10000 "$(range 40001 50000)" "lines of access.log.3.gz's last member"
assert_eq 5000 "$(range 50001 55000)" "lines of access.log.2 (gzip'd, no .gz name)"
assert_eq 10000 "$(range 55001 65000)" "lines of access.log.1 (plain)"

# ---- second run: the same files, nothing new
ls_backfill second "$d/backfill.yml" "$d/archive/*"
assert_eq 0 "$LS_RC" "second backfill: exit status"
assert_eq "$N" "$LS_LINES" "second backfill: lines"
assert_eq 0 "$LS_INDEXED" "second backfill: indexed"
assert_eq "$N" "$LS_DUPLICATE" "second backfill: duplicate"
assert_eq 0 "$LS_DEAD" "second backfill: dead-lettered"
grep -q "indexed 0, duplicate $N," "$ES_LOGS/second.log" ||
	fail "second backfill: the summary does not say 'indexed 0, duplicate $N': $(tail -n 3 "$ES_LOGS/second.log")"
assert_eq "$N" "$(es_count_now "$idx")" "_count after the second backfill"
[[ ! -s $d/dead-letter.ndjson ]] || fail "dead-lettered: $(head -c 600 "$d/dead-letter.ndjson")"
es_done
