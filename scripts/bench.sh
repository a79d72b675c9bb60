#!/usr/bin/env bash
# Benchmark: asynclint (every rule on) against the parse floor (read + syn parse + one
# walk, no rules) over the corpus, with 1 and 2 threads. Prints wall time (best of
# RUNS), lines per second, the ratio asynclint / floor, and peak memory.
#
#   scripts/bench.sh [RUNS]        # default 3; builds release binaries first
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
cargo build --release --quiet --bin asynclint --example parse_floor
mapfile -t dirs < <(scripts/corpus.sh)
lines=$(target/release/examples/parse_floor --threads 2 "${dirs[@]}" | sed -E 's/.* files, ([0-9]+) lines.*/\1/')
files=$(find "${dirs[@]}" -name '*.rs' | wc -l)
echo "corpus: ${#dirs[@]} packages, $files .rs files, $lines lines (parsed)"

# best wall time and peak RSS of a command over $runs runs
measure() {
  local best="" rss=0 t m
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o /tmp/asynclint-bench.time "$@" > /dev/null 2>&1 || true
    read -r t m < <(tail -n 1 /tmp/asynclint-bench.time)
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    if [ "$m" -gt "$rss" ]; then rss=$m; fi
  done
  echo "$best $rss"
}

printf '%-9s %-10s %9s %12s %8s %10s\n' threads tool seconds lines/s ratio "peak MB"
for threads in 1 2; do
  read -r floor floor_rss < <(measure target/release/examples/parse_floor --threads "$threads" "${dirs[@]}")
  read -r lint lint_rss < <(measure target/release/asynclint check --threads "$threads" -q "${dirs[@]}")
  printf '%-9s %-10s %9s %12.0f %8s %10d\n' "$threads" floor "$floor" "$(awk "BEGIN{print $lines/$floor}")" "1.00" "$((floor_rss / 1024))"
  printf '%-9s %-10s %9s %12.0f %8.2f %10d\n' "$threads" asynclint "$lint" "$(awk "BEGIN{print $lines/$lint}")" "$(awk "BEGIN{print $lint/$floor}")" "$((lint_rss / 1024))"
done
