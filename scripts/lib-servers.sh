# Shared by the scripts that start servers and measure them with `ascendra bench`
# (compare-llama-server.sh, eval-real.sh). Source it after `cd` to the repository root; it defines
# find_ascendra, check_inputs, cleanup (the EXIT trap for $server_pid) and wait_ready.

# Prints the ascendra binary: $ASCENDRA, else build/ascendra, else the newest build*/ascendra.
find_ascendra() {
  local bin="${ASCENDRA:-}"
  if [ -z "$bin" ]; then
    if [ -x build/ascendra ]; then bin=build/ascendra
    else bin="$(ls -t build*/ascendra 2>/dev/null | head -1 || true)"; fi
  fi
  [ -n "$bin" ] && [ -x "$bin" ] || { echo "no ascendra binary (build it, or set ASCENDRA=path)" >&2; return 1; }
  echo "$bin"
}

check_inputs() {  # model, trace
  [ -f "$1" ] || { echo "model $1 absent (scripts/fetch-models.sh)" >&2; return 1; }
  [ -f "$2" ] || { echo "trace $2 absent" >&2; return 1; }
}

server_pid=""
cleanup() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

wait_ready() {  # url, pid, seconds
  local url="$1" pid="$2" limit="$3" i
  for ((i = 0; i < limit * 4; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then echo "server exited during start-up" >&2; return 1; fi
    # /health answers 503 while the model loads (llama-server and ascendra alike).
    if curl -fsS "$url/health" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  echo "server at $url not ready after ${limit}s" >&2
  return 1
}
