#!/usr/bin/env python3
"""Plots `ascendra bench` / `ascendra simulate` results.

  scripts/plot-bench.py --sweep a.json b.json ... --out attainment.png
      SLO attainment (and strict attainment, dashed) against request rate, one line per JSON file
      (sweep JSON with a "runs" array; a single-rate JSON becomes one point), with the 90% line.
  scripts/plot-bench.py --cdf a.csv b.csv ... --out cdf.png [--qps Q]
      TTFT and TPOT CDFs from --per-request CSV files (optionally only the rows of rate Q).
  scripts/plot-bench.py --slo a.json b.json ... --out slo.png
      SLO attainment (strict dashed) against SLO scale at a fixed rate, one line per JSON file of
      the form {"slo_runs": [{"slo_scale": s, "slo_attainment": a, "strict_slo_attainment": b}]}
      (scripts/eval-sim.sh writes them).
  --title T puts a title on any of the plots.

matplotlib is installed on first use into a virtual environment under .cache/plot-venv, and the
script re-executes itself there.
"""
import argparse
import csv
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".cache", "plot-venv")


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    py = os.path.join(VENV, "bin", "python")
    if os.path.abspath(sys.executable) == os.path.abspath(py):
        sys.exit("matplotlib missing even inside " + VENV)
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([py, "-m", "pip", "install", "-q", "matplotlib"])
    os.execv(py, [py] + sys.argv)


def label_of(path):
    return os.path.splitext(os.path.basename(path))[0]


def sweep_points(path):
    with open(path) as f:
        data = json.load(f)
    runs = data.get("runs") or [data]
    runs = sorted(runs, key=lambda r: r.get("qps", 0.0))
    return ([r.get("qps", 0.0) for r in runs], [100.0 * r["slo_attainment"] for r in runs],
            [100.0 * r.get("strict_slo_attainment", 0.0) for r in runs], data.get("capacity_qps_90"))


def slo_points(path):
    with open(path) as f:
        runs = sorted(json.load(f)["slo_runs"], key=lambda r: r["slo_scale"])
    return ([r["slo_scale"] for r in runs], [100.0 * r["slo_attainment"] for r in runs],
            [100.0 * r.get("strict_slo_attainment", 0.0) for r in runs])


def finish_attainment_plot(fig, ax, out, title=None, legend_fontsize=None):
    """The y axis, 90% line, grid, title and legend shared by the attainment plots; saves to `out`."""
    ax.axhline(90.0, color="grey", linewidth=0.8, linestyle=":")
    ax.set_ylabel("SLO attainment (%)  [dashed: strict]")
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=legend_fontsize)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(out)


def plot_slo(paths, out, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for path in paths:
        scale, att, strict = slo_points(path)
        line, = ax.plot(scale, att, marker="o", label=label_of(path))
        ax.plot(scale, strict, linestyle="--", color=line.get_color(), alpha=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("SLO scale (x TTFT and TBT objectives)")
    finish_attainment_plot(fig, ax, out, title)


def plot_sweeps(paths, out, title=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for path in paths:
        qps, att, strict, cap = sweep_points(path)
        name = label_of(path) + ("" if cap is None else f" (cap@90% {cap:.2f})")
        line, = ax.plot(qps, att, marker="o", label=name)
        ax.plot(qps, strict, linestyle="--", color=line.get_color(), alpha=0.6)
    ax.set_xlabel("request rate (req/s)")
    finish_attainment_plot(fig, ax, out, title, legend_fontsize=8)


def cdf_columns(path, qps):
    ttft, tpot = [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            if qps is not None and abs(float(row.get("qps", qps)) - qps) > 1e-6:
                continue
            if row["success"] != "1":
                continue
            if row["ttft_ms"]:
                ttft.append(float(row["ttft_ms"]))
            if row["tpot_ms"]:
                tpot.append(float(row["tpot_ms"]))
    return sorted(ttft), sorted(tpot)


def plot_cdfs(paths, out, qps):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for path in paths:
        for ax, values in zip(axes, cdf_columns(path, qps)):
            if values:
                n = len(values)
                ax.step(values, [(i + 1) / n for i in range(n)], where="post", label=label_of(path))
    for ax, name in zip(axes, ("TTFT (ms)", "TPOT (ms)")):
        ax.set_xlabel(name)
        ax.set_ylabel("fraction of requests")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sweep", nargs="+", help="sweep or report JSON files")
    p.add_argument("--cdf", nargs="+", help="--per-request CSV files")
    p.add_argument("--slo", nargs="+", help="SLO-scale JSON files (see above)")
    p.add_argument("--title", help="plot title")
    p.add_argument("--qps", type=float, help="with --cdf: only rows of this rate")
    p.add_argument("--out", required=True, help="PNG file")
    args = p.parse_args()
    if sum(bool(x) for x in (args.sweep, args.cdf, args.slo)) != 1:
        p.error("give exactly one of --sweep, --cdf or --slo")
    ensure_matplotlib()
    if args.sweep:
        plot_sweeps(args.sweep, args.out, args.title)
    elif args.slo:
        plot_slo(args.slo, args.out, args.title)
    else:
        plot_cdfs(args.cdf, args.out, args.qps)


if __name__ == "__main__":
    main()
