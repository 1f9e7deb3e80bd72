#!/usr/bin/env bash
# Real-engine comparison of issue 6 on this machine: `ascendra serve` with the Ascendra policy on
# one LP and one HP instance against vllm and sarathi on two round-robin instances, the same model,
# thread count, trace and `ascendra bench` rates. Prints, per system, the capacity at 90% SLO
# attainment and its ratio to the better baseline, and per rate the attainment, the offloads and
# migrations (deltas of ascendra_offloads_total / ascendra_migrations_total on /metrics) and the
# performance model's error (ascendra_perf_model_mape, printed when the server exports it).
#
# Usage: scripts/eval-real.sh [--out DIR]
# Environment (defaults in brackets):
#   MODEL [models/SmolLM2-135M-Instruct.Q4_1.gguf]  THREADS [2]
#   TRACE [../shared/traces/azure_conv_2023.csv]     SWEEP [0.5:3:0.5]  NUM_REQUESTS [40]
#   LENGTH_SCALE [0.1]  MAX_PROMPT [512]  MAX_OUTPUT [64]
#   TTFT_SLO_MS [6000]  TBT_SLO_MS [300]  (CPU SLOs; see DESIGN.md section 7)
#   SYSTEMS ["ascendra vllm sarathi"]; `ascendra@OPTIONS` adds an Ascendra variant run with
#     `--policy-options OPTIONS`, e.g. SYSTEMS="ascendra ascendra@ticket=balanced vllm sarathi"
#   POLICY_OPTIONS [] (--policy-options of the plain `ascendra` entry)
#   ASCENDRA [build/ascendra, else the newest build*/ascendra]  PORT [18090]  SERVE_ARGS []
# Each rate is a separate `ascendra bench --qps` run on the same server so that the counters can be
# read between rates; every run uses seed 1 (the same requests, arrival gaps scaled by the rate).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/.cache/eval-real"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
MODEL="${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}"
THREADS="${THREADS:-2}"
TRACE="${TRACE:-$root/../shared/traces/azure_conv_2023.csv}"
SWEEP="${SWEEP:-0.5:3:0.5}"
NUM_REQUESTS="${NUM_REQUESTS:-40}"
LENGTH_SCALE="${LENGTH_SCALE:-0.1}"
MAX_PROMPT="${MAX_PROMPT:-512}"
MAX_OUTPUT="${MAX_OUTPUT:-64}"
TTFT_SLO_MS="${TTFT_SLO_MS:-6000}"
TBT_SLO_MS="${TBT_SLO_MS:-300}"
SYSTEMS="${SYSTEMS:-ascendra vllm sarathi}"
PORT="${PORT:-18090}"
mkdir -p "$out"

source "$root/scripts/lib-servers.sh"
ascendra="$(find_ascendra)"
check_inputs "$MODEL" "$TRACE"
rates=$(python3 -c "
a, b, s = (float(x) for x in '$SWEEP'.split(':'))
r, i = [], 0
while a + i * s <= b + 1e-9:
    r.append(f'{a + i * s:g}'); i += 1
print(' '.join(r))")


# Sum of a metric over its label sets whose labels contain `filter` ("" when absent).
scrape_where() {  # url metric filter
  curl -fsS "$1/metrics" 2>/dev/null | awk -v m="$2" -v f="$3" '
    ($1 == m || index($1, m "{") == 1) && index($1, f) { s += $NF; found = 1 }
    END { if (found) printf "%.6g", s }'
}
# Sum of a metric over all its label sets ("" when absent).
scrape() {  # url metric
  curl -fsS "$1/metrics" 2>/dev/null | awk -v m="$2" '
    $1 == m || index($1, m "{") == 1 { s += $NF; found = 1 }
    END { if (found) printf "%.6g", s }'
}
# Mean of a gauge over its label sets ("" when absent).
scrape_mean() {  # url metric
  curl -fsS "$1/metrics" 2>/dev/null | awk -v m="$2" '
    $1 == m || index($1, m "{") == 1 { s += $NF; n++ }
    END { if (n) printf "%.6g", s / n }'
}

# File name of a system entry ("ascendra@ticket=balanced" -> "ascendra_ticket_balanced").
tag_of() { printf '%s' "$1" | tr -c 'A-Za-z0-9' '_'; }

for sys in $SYSTEMS; do
  case "$sys" in
    ascendra) args=(--policy ascendra --pools low:1,high:1 ${POLICY_OPTIONS:+--policy-options "$POLICY_OPTIONS"}) ;;
    ascendra@*) args=(--policy ascendra --pools low:1,high:1 --policy-options "${sys#ascendra@}") ;;
    vllm|sarathi) args=(--policy "$sys" --instances 2) ;;
    *) echo "unknown system $sys (ascendra, ascendra@OPTIONS, vllm, sarathi)" >&2; exit 2 ;;
  esac
  tag="$(tag_of "$sys")"
  url="http://127.0.0.1:$PORT"
  echo "== $sys: $ascendra serve ${args[*]} --threads $THREADS" >&2
  # shellcheck disable=SC2086
  "$ascendra" serve -m "$MODEL" --host 127.0.0.1 --port "$PORT" --threads "$THREADS" "${args[@]}" \
    --ttft-slo-ms "$TTFT_SLO_MS" --tbt-slo-ms "$TBT_SLO_MS" ${SERVE_ARGS:-} > "$out/$tag-serve.log" 2>&1 &
  server_pid=$!
  wait_ready "$url" "$server_pid" 180
  : > "$out/$tag-rates.tsv"
  for q in $rates; do
    off0=$(scrape "$url" ascendra_offloads_total); mig0=$(scrape "$url" ascendra_migrations_total)
    it0=$(scrape "$url" ascendra_iterations_total); hit0=$(scrape_where "$url" ascendra_iterations_total 'pool="high"')
    "$ascendra" bench --url "$url" --trace "$TRACE" --endpoint completions --qps "$q" \
      --num-requests "$NUM_REQUESTS" --seed 1 --length-scale "$LENGTH_SCALE" \
      --max-prompt-tokens "$MAX_PROMPT" --max-output-tokens "$MAX_OUTPUT" \
      --ttft-slo-ms "$TTFT_SLO_MS" --tbt-slo-ms "$TBT_SLO_MS" --no-progress \
      --json "$out/$tag-$q.json" --per-request "$out/$tag-$q.csv" > "$out/$tag-$q.txt"
    off1=$(scrape "$url" ascendra_offloads_total); mig1=$(scrape "$url" ascendra_migrations_total)
    it1=$(scrape "$url" ascendra_iterations_total); hit1=$(scrape_where "$url" ascendra_iterations_total 'pool="high"')
    mape=$(scrape_mean "$url" ascendra_perf_model_mape)
    # Share of the engine iterations run by the HIGH pool ("-" without one).
    hp_share=$(python3 -c "
it = float('${it1:-0}') - float('${it0:-0}'); h = '${hit1}'
print('-' if not h or it <= 0 else f\"{(float(h) - float('${hit0:-0}')) / it:.2f}\")")
    printf "%s\t%s\t%s\t%s\t%s\n" "$q" "$(python3 -c "print(int(float('${off1:-0}') - float('${off0:-0}')))")" \
      "$(python3 -c "print(int(float('${mig1:-0}') - float('${mig0:-0}')))")" "${mape:--}" "$hp_share" \
      >> "$out/$tag-rates.tsv"
    echo "   $sys at $q req/s done" >&2
  done
  cleanup; server_pid=""
done

python3 - "$out" "$SYSTEMS" "$TTFT_SLO_MS" "$TBT_SLO_MS" <<'PY'
import json, os, re, sys
out, systems, ttft, tbt = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4]
tag = lambda name: re.sub(r"[^A-Za-z0-9]", "_", name)

def capacity(runs, target=0.9):  # the report's definition: first fall below target, interpolated
    for (q0, a0), (q1, a1) in zip(runs, runs[1:]):
        if a0 >= target and a1 < target:
            return q0 + (a0 - target) / (a0 - a1) * (q1 - q0)
    return None

caps = {}
print(f"real engine, TTFT {ttft} ms / TBT {tbt} ms; ascendra low:1,high:1 against 2 round-robin instances")
for sys_name in systems:
    rows = [l.split("\t") for l in open(os.path.join(out, f"{tag(sys_name)}-rates.tsv")).read().split("\n") if l]
    runs, sweep = [], {"runs": []}
    print(f"-- {sys_name}")
    print(f"  {'qps':>6} {'attain':>7} {'strict':>7} {'p50 TTFT ms':>12} {'mean TPOT ms':>13} {'offloads':>9} {'migrations':>11} {'perf-model MAPE':>16} {'HP iter share':>14}")
    for q, offl, mig, mape, hp_share in rows:
        j = json.load(open(os.path.join(out, f"{tag(sys_name)}-{q}.json")))
        runs.append((float(q), j["slo_attainment"]))
        sweep["runs"].append(dict(j, qps=float(q)))
        mape_s = "-" if mape == "-" else f"{100 * float(mape):.1f}%"
        print(f"  {float(q):6g} {j['slo_attainment']:7.2f} {j.get('strict_slo_attainment', 0):7.2f} "
              f"{j.get('median_ttft_ms', 0):12.0f} {j.get('mean_tpot_ms', 0):13.1f} {offl:>9} {mig:>11} {mape_s:>16} {hp_share:>14}")
    caps[sys_name] = capacity(sorted(runs))
    sweep["capacity_qps_90"] = caps[sys_name]
    json.dump(sweep, open(os.path.join(out, f"{tag(sys_name)}.json"), "w"), indent=1)
print()
fmt = lambda c: "n/a (no 90% crossing in the sweep)" if c is None else f"{c:.3f} req/s"
for name, cap in caps.items():
    print(f"  {name:>9} capacity@90%: {fmt(cap)}")
# A baseline that never fell below 90% has a capacity of at least the sweep's top rate, so the
# ratio against it is an upper bound.
top = max(float(q) for n in systems for q, *_ in
          (l.split("\t") for l in open(os.path.join(out, f"{tag(n)}-rates.tsv")) if l.strip()))
base = {b: caps[b] for b in ("vllm", "sarathi") if b in caps}
for name in (n for n in systems if n.startswith("ascendra")):
    if caps.get(name) is None or not base:
        continue
    bound = any(c is None for c in base.values())
    better = max(top if c is None else c for c in base.values())
    print(f"  ratio {name} / better baseline: {'at most ' if bound else ''}{caps[name] / better:.2f}")
print(f"reports: {out} (plot: scripts/plot-bench.py --sweep {out}/<system>.json --out FILE.png; <system> with non-alphanumerics as _)")
PY
