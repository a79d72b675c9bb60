#!/usr/bin/env bash
# Prints the source directories of every package in the corpus's dependency graph,
# one per line: tokio, tokio-util, axum, hyper, hyper-util, reqwest, tower, tonic,
# futures-util, h2, tokio-tungstenite, warp and everything they depend on (all
# platforms), at the versions pinned in scripts/corpus/Cargo.lock.
#
#   scripts/corpus.sh [SCRATCH_DIR]      # default: target/corpus
#   target/release/asynclint check $(scripts/corpus.sh) -q --statistics
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
scratch="${1:-$here/../target/corpus}"
mkdir -p "$scratch"
cp "$here/corpus/Cargo.toml" "$here/corpus/Cargo.lock" "$scratch/"
touch "$scratch/lib.rs"
cd "$scratch"
cargo fetch --locked --quiet >&2
cargo metadata --locked --format-version 1 \
  | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
root = os.path.realpath(os.getcwd())
dirs = sorted({os.path.dirname(p["manifest_path"]) for p in meta["packages"]})
for d in dirs:
    if os.path.realpath(d) != root:
        print(d)
'
