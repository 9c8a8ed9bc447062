# Sourced by the load benchmarks (scripts/bench-load, scripts/bench-load-oha): builds the load
# tool and the demo stack, starts nginx (one worker, `return 200`) pinned to the second core,
# and defines what both benchmarks measure with. Sets LOAD, url, load_cpu, nginx_cpu,
# nginx_pid, nginx_worker, hz, cpu_out; defines pin, now_ns, cpu_ticks, wrk_rps, ratio.
cargo build --release --locked -q -p lameduck-load --bins --example demo-stack
# LOAD=/path/to/lameduck-load measures another build (say, the previous one) instead.
LOAD=${LOAD:-target/release/lameduck-load}
STACK=target/release/examples/demo-stack
command -v wrk >/dev/null || { echo "${0##*/}: wrk is missing (scripts/install-deps)" >&2; exit 1; }

cores=$(nproc)
load_cpu=0
nginx_cpu=$((cores > 1 ? 1 : 0))

stack_out=$(mktemp)
cpu_out=$(mktemp)
"$STACK" --workers 1 >"$stack_out" &
stack_pid=$!
trap 'kill "$stack_pid" 2>/dev/null; wait "$stack_pid" 2>/dev/null; rm -f "$stack_out" "$cpu_out"' EXIT
for _ in $(seq 200); do [[ -s $stack_out ]] && grep -q nginx_pid "$stack_out" && break; sleep 0.05; done
base=$(head -1 "$stack_out")
nginx_pid=$(sed -n 's/nginx_pid=//p' "$stack_out")
[[ -n $base && -n $nginx_pid ]] || { echo "${0##*/}: the nginx stack did not start" >&2; exit 1; }
for pid in "$nginx_pid" $(pgrep -P "$nginx_pid"); do taskset -pc "$nginx_cpu" "$pid" >/dev/null; done
nginx_worker=$(pgrep -P "$nginx_pid" -f 'worker process' | head -1)
[[ -n $nginx_worker ]] || { echo "${0##*/}: no nginx worker process found" >&2; exit 1; }
url="$base/ok"
pin() { taskset -c "$load_cpu" "$@"; }
hz=$(getconf CLK_TCK)
now_ns() { date +%s%N; }

# CPU time (user + system) of a command in clock ticks, from the waiting shell's cutime +
# cstime; its stdout is left in $cpu_out (its stderr goes to ours). Robust to other load on the
# machine, unlike a throughput figure.
cpu_ticks() { bash -c '"$@" >"$0"; awk "{print \$16 + \$17}" /proc/$$/stat' "$cpu_out" "$@"; }

# Requests per second of wrk -t1 -c64 for 5 s: the server's capacity (see scripts/bench-load).
wrk_rps() { # extra wrk args...
  pin wrk -t1 -c64 -d5s "$@" "$url" | awk '/Requests\/sec/ {printf "%d", $2}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
