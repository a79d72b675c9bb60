#!/usr/bin/env bash
# The content cache, measured: a cold run (--no-cache), a warm re-run of the unchanged
# tree (every file from the cache) and a re-run after a one-file edit, best of RUNS
# wall and user time each, on tokio and on the whole corpus (copies under a scratch
# directory, so that the edits do not touch Cargo's registry). Also checks that the
# three runs print byte-identical JSON to a run without the cache.
#
#   scripts/bench-cache.sh [RUNS] [SCRATCH]     # default 5, a temporary directory
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
scratch="${2:-$(mktemp -d)}"
cargo build --release --quiet --bin asynclint
bin="$PWD/target/release/asynclint"
mapfile -t dirs < <(scripts/corpus.sh "$scratch/fetch")
mkdir -p "$scratch/corpus"
for d in "${dirs[@]}"; do
  [ -d "$scratch/corpus/$(basename "$d")" ] || cp -r "$d" "$scratch/corpus/"
done
cd "$scratch/corpus"
corpus=(*)
tokio=(tokio-1.*)

# best wall and user seconds of $runs runs of "$@" (after $prepare, untimed)
best() {
  local w=1e9 u=1e9 t
  for _ in $(seq "$runs"); do
    eval "$prepare"
    /usr/bin/time -f "%e %U" -o "$scratch/time" "$@" > /dev/null 2>&1 || true
    read -r t_w t_u < <(tail -n 1 "$scratch/time")
    w=$(awk "BEGIN{print ($t_w < $w) ? $t_w : $w}")
    u=$(awk "BEGIN{print ($t_u < $u) ? $t_u : $u}")
  done
  echo "$w $u"
}

n=0
edit() {  # a different one-line edit of one file each time
  n=$((n + 1))
  printf '\n// edit %s\n' "$n" >> "$edited"
}

printf '%-8s %-16s %8s %8s %8s\n' tree run wall user "% cold"
for name in tokio corpus; do
  if [ "$name" = tokio ]; then set -- "${tokio[@]}"; else set -- "${corpus[@]}"; fi
  edited="$(ls -d tokio-1.*)/src/sync/mutex.rs"
  export ASYNCLINT_CACHE_DIR="$scratch/cache-$name"
  rm -rf "$ASYNCLINT_CACHE_DIR"
  prepare=:
  read -r cw cu < <(best "$bin" check -q --no-cache "$@")
  "$bin" check -q "$@" > /dev/null 2>&1 || true   # fills the cache
  read -r ww wu < <(best "$bin" check -q "$@")
  prepare=edit
  read -r ew eu < <(best "$bin" check -q "$@")
  for r in "cold $cw $cu" "warm $ww $wu" "one-file-edit $ew $eu"; do
    set -- $r
    printf '%-8s %-16s %8s %8s %7.1f%%\n' "$name" "$1" "$2" "$3" "$(awk "BEGIN{print 100*$2/$cw}")"
  done
  if [ "$name" = tokio ]; then set -- "${tokio[@]}"; else set -- "${corpus[@]}"; fi
  "$bin" check --format json --no-cache "$@" > "$scratch/plain.json" || true
  "$bin" check --format json "$@" > "$scratch/warm.json" || true
  edit
  "$bin" check --format json --no-cache "$@" > "$scratch/plain-edited.json" || true
  "$bin" check --format json "$@" > "$scratch/edited.json" || true
  cmp "$scratch/plain.json" "$scratch/warm.json"
  cmp "$scratch/plain-edited.json" "$scratch/edited.json"
  echo "$name: output with and without the cache identical ($(grep -c '"rule"' "$scratch/plain.json") findings)"
done
