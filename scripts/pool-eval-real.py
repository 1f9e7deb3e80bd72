#!/usr/bin/env python3
"""Pools several scripts/eval-real.sh runs (their --out directories) into one table.

On a shared 2-core machine one 30-request run per rate measures a system's capacity with a spread of
tens of percent between runs, so single-run ratios between systems mean little. This pools the
per-request records of every run that measured a system at a rate (attainment = requests meeting both
objectives / requests), takes the capacity at 90% from the pooled curve, and lists each run's own
capacity beside it so the spread is visible.

Usage: scripts/pool-eval-real.py DIR [DIR ...]
"""
import csv
import json
import os
import sys
from collections import defaultdict


def capacity(runs, target=0.9):
    """First fall below `target`, linearly interpolated (the report's definition); None if none."""
    for (q0, a0), (q1, a1) in zip(runs, runs[1:]):
        if a0 >= target and a1 < target:
            return q0 + (a0 - target) / (a0 - a1) * (q1 - q0)
    return None


def main(dirs):
    met = defaultdict(lambda: defaultdict(int))     # tag -> qps -> requests meeting both objectives
    total = defaultdict(lambda: defaultdict(int))   # tag -> qps -> requests
    own = defaultdict(list)                         # tag -> each run's capacity
    for d in dirs:
        for name in sorted(os.listdir(d)):
            if not name.endswith("-rates.tsv"):
                continue
            tag = name[: -len("-rates.tsv")]
            for line in open(os.path.join(d, name)):
                if not line.strip():
                    continue
                q = line.split("\t")[0]
                with open(os.path.join(d, f"{tag}-{q}.csv")) as f:
                    for row in csv.DictReader(f):
                        total[tag][float(q)] += 1
                        met[tag][float(q)] += int(row["meets_slo"] or 0)
            summary = os.path.join(d, f"{tag}.json")
            if os.path.exists(summary):
                own[tag].append(json.load(open(summary)).get("capacity_qps_90"))
    if not total:
        sys.exit("pool-eval-real: no eval-real results (<system>-rates.tsv) in " + " ".join(dirs))
    rates = sorted({q for t in total.values() for q in t})
    fmt = lambda c: "n/a" if c is None else f"{c:.2f}"
    print(f"pooled over {len(dirs)} run directories: attainment per rate (requests), capacity at 90%")
    print(f"  {'system':<40}" + "".join(f"{q:>11g}" for q in rates) + f"{'pooled cap':>12}  per-run caps")
    caps = {}
    for tag in sorted(total):
        curve = [(q, met[tag][q] / total[tag][q]) for q in rates if total[tag][q]]
        caps[tag] = capacity(curve)
        cells = "".join(f"{met[tag][q] / total[tag][q]:>6.2f}({total[tag][q]:>3})" if total[tag][q] else f"{'-':>11}"
                        for q in rates)
        print(f"  {tag:<40}{cells}{fmt(caps[tag]):>12}  {' '.join(fmt(c) for c in own[tag])}")
    base = [caps[b] for b in ("vllm", "sarathi") if caps.get(b)]
    for tag in sorted(caps):
        if tag.startswith("ascendra") and caps[tag] and base:
            print(f"  ratio {tag} / better pooled baseline: {caps[tag] / max(base):.2f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
