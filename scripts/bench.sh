#!/usr/bin/env bash
# Benchmark: asynclint (every rule on) against the parse floor (read + syn parse + one
# walk, no rules) over the corpus, with 1 and 2 threads. Prints wall and user time
# (best of RUNS, the two tools taking turns), lines per second, the wall-time ratio
# asynclint / floor, and peak memory.
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

# one timed run: prints wall seconds, user seconds and peak RSS (KB)
timed() {
  /usr/bin/time -f "%e %U %M" -o /tmp/asynclint-bench.time "$@" > /dev/null 2>&1 || true
  tail -n 1 /tmp/asynclint-bench.time
}

# keeps the smaller of $1 and $2
min() { awk "BEGIN{print ($1 < $2) ? $1 : $2}"; }

printf '%-8s %-10s %8s %8s %12s %8s %10s\n' threads tool wall user lines/s ratio "peak MB"
for threads in 1 2; do
  # The two tools run in turn, $runs times each, so that a machine whose speed
  # drifts slows both alike; each keeps its best time and its highest peak.
  fw=1e9 fu=1e9 fm=0 lw=1e9 lu=1e9 lm=0
  for _ in $(seq "$runs"); do
    read -r w u m < <(timed target/release/examples/parse_floor --threads "$threads" "${dirs[@]}")
    fw=$(min "$w" "$fw"); fu=$(min "$u" "$fu"); [ "$m" -gt "$fm" ] && fm=$m
    read -r w u m < <(timed target/release/asynclint check --no-cache --threads "$threads" -q "${dirs[@]}")
    lw=$(min "$w" "$lw"); lu=$(min "$u" "$lu"); [ "$m" -gt "$lm" ] && lm=$m
  done
  printf '%-8s %-10s %8s %8s %12.0f %8s %10d\n' "$threads" floor "$fw" "$fu" "$(awk "BEGIN{print $lines/$fw}")" "1.00" "$((fm / 1024))"
  printf '%-8s %-10s %8s %8s %12.0f %8.2f %10d\n' "$threads" asynclint "$lw" "$lu" "$(awk "BEGIN{print $lines/$lw}")" "$(awk "BEGIN{print $lw/$fw}")" "$((lm / 1024))"
done
