#!/usr/bin/env python3
"""Scores asynclint's default findings on real code against judged verdicts.

    scripts/score.py BIN APPS [--corpus] [--by-app] [--list VERDICT]

BIN is an asynclint binary; APPS a directory holding the applications named in
scripts/verdicts/apps.tsv, each checked out at the commit given there. Each one is
checked with the default configuration, from its root; with --corpus, the corpus
(scripts/corpus.sh) is checked too. Every finding is matched to its verdict in
scripts/verdicts/<app>.tsv by path, line, column and rule:

    real        a failure that can happen in this code, worth a change
    deliberate  literally right, but harmless or intended here
    wrong       the message's claim is false for this code
    parse-error a file that is not valid Rust (not a finding)

and the table of rule x verdict is printed, with the findings no verdict covers
("unjudged": read them and add a line) and the verdicts whose finding is gone.
"""

import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VERDICTS = os.path.join(HERE, "verdicts")
KINDS = ["real", "deliberate", "wrong"]
# `path:line:col: warning[rule] message` or `path:line:col: error: message`.
FINDING = re.compile(r"^(.+?:\d+:\d+): (?:(?:warning|error|note|help)\[([a-z-]+)\]|(error):)")
REGISTRY = re.compile(r"^.*/index\.crates\.io-[0-9a-f]+/")


def findings(binary, paths, cwd):
    out = subprocess.run(
        [binary, "check", *paths, "--no-cache", "--format", "concise"],
        cwd=cwd,
        capture_output=True,
        text=True,
    ).stdout
    found = []
    for line in out.splitlines():
        m = FINDING.match(line)
        if m:
            found.append((REGISTRY.sub("", m.group(1)), m.group(2) or m.group(3)))
    return found


def verdicts(name):
    path = os.path.join(VERDICTS, name + ".tsv")
    known = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            loc, rule, verdict, reason = line.rstrip("\n").split("\t", 3)
            known[(loc, rule)] = (verdict, reason)
    return known


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    binary, apps = os.path.abspath(args[0]), args[1]
    listed = args[args.index("--list") + 1] if "--list" in args else None
    runs = []
    for line in open(os.path.join(VERDICTS, "apps.tsv"), encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        name = line.split("\t")[0]
        root = os.path.join(apps, name)
        if not os.path.isdir(root):
            print(f"missing: {root}", file=sys.stderr)
            continue
        runs.append((name, findings(binary, ["."], root)))
    if "--corpus" in args:
        dirs = subprocess.run(
            [os.path.join(HERE, "corpus.sh")], capture_output=True, text=True, check=True
        ).stdout.split()
        runs.append(("corpus", findings(binary, dirs, None)))

    table = collections.defaultdict(collections.Counter)
    per_app = {}
    unjudged, gone, shown = [], [], []
    for name, found in runs:
        known = verdicts(name)
        seen = set()
        count = collections.Counter()
        for loc, rule in found:
            seen.add((loc, rule))
            verdict = known.get((loc, rule))
            if verdict is None:
                unjudged.append(f"{name} {loc} {rule}")
                verdict = ("unjudged", "")
            table[rule][verdict[0]] += 1
            count[verdict[0]] += 1
            if verdict[0] == listed:
                shown.append(f"{name} {loc} {rule}: {verdict[1]}")
        per_app[name] = count
        gone += [f"{name} {loc} {rule} ({v[0]})" for (loc, rule), v in known.items() if (loc, rule) not in seen]

    cols = KINDS + ["unjudged"]
    print(f"{'rule':<28}" + "".join(f"{c:>12}" for c in cols))
    total = collections.Counter()
    for rule in sorted(table, key=lambda r: -sum(table[r][c] for c in cols)):
        if rule == "error":
            continue
        print(f"{rule:<28}" + "".join(f"{table[rule][c]:>12}" for c in cols))
        total.update({c: table[rule][c] for c in cols})
    print(f"{'total':<28}" + "".join(f"{total[c]:>12}" for c in cols))
    judged = sum(total[c] for c in KINDS)
    if judged:
        print(f"real share: {total['real']}/{judged} = {100 * total['real'] / judged:.0f}%")
    if "--by-app" in args:
        for name, c in per_app.items():
            print(f"  {name:<20}" + " ".join(f"{k} {c[k]}" for k in cols if c[k]))
    for title, items in [("unjudged", unjudged), ("gone", gone), (listed, shown)]:
        if items and title:
            print(f"\n{title} ({len(items)}):")
            print("\n".join("  " + i for i in items))


if __name__ == "__main__":
    main()
