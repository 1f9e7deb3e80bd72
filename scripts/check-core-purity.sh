#!/usr/bin/env bash
# Proves the decision core (engine/core, sched, cluster, sim, workload) has no threads, no locks,
# no clock reads, no HTTP and no CUDA: `now` is always a parameter. Exits 1 listing offenders.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dirs=()
for d in engine/core engine/sched engine/cluster engine/sim engine/workload; do
  [[ -d "$root/$d" ]] && dirs+=("$root/$d")
done
patterns=(
  '#include[[:space:]]*<(thread|mutex|shared_mutex|condition_variable|future|atomic|semaphore|stop_token|barrier|latch)>'
  '#include[[:space:]]*<(pthread\.h|ctime|time\.h|sys/time\.h)>'
  '#include[[:space:]]*[<"][^>"]*(httplib|cuda|cublas)[^>"]*[>"]'
  '(steady_clock|system_clock|high_resolution_clock|utc_clock)'
  '(std::this_thread|std::thread|std::jthread|std::async|std::mutex)'
  '\b(time|clock|gettimeofday|clock_gettime)[[:space:]]*\([[:space:]]*(NULL|nullptr|0|CLOCK_[A-Z_]+[^)]*|&?[a-z_]*)?[[:space:]]*\)[[:space:]]*;'
  '__global__|cudaMalloc|cudaStream'
)
fail=0
for p in "${patterns[@]}"; do
  if out=$(grep -rnE --include='*.h' --include='*.cpp' --include='*.cu' "$p" "${dirs[@]}" 2>/dev/null); then
    echo "core purity: forbidden pattern /$p/:"
    echo "$out" | sed "s|$root/||"
    fail=1
  fi
done
if [[ $fail -ne 0 ]]; then
  echo "check-core-purity: FAILED (the decision core must not use threads, clocks, HTTP or CUDA)"
  exit 1
fi
echo "check-core-purity: OK (${#dirs[@]} directories clean)"
