#!/usr/bin/env bash
# Waits for the lameduck-load Job to finish, saves each shard's timeline (the log of pod I) as
# shard-I.jsonl and merges them into run.html and run.json with `lameduck report merge`.
#
#   deploy/examples/load-job/collect.sh [-n NAMESPACE] [OUTPUT_DIR]
#
# Needs kubectl (pointed at the cluster) and lameduck on this machine.
set -euo pipefail
namespace=()
if [[ ${1:-} == -n ]]; then namespace=(-n "$2"); shift 2; fi
out=${1:-.}
job=lameduck-load
mkdir -p "$out"

shards=$(kubectl "${namespace[@]}" get job "$job" -o jsonpath='{.spec.completions}')
# Done when every shard has succeeded or failed (backoffLimit 0: a failed shard stays failed).
while :; do
  read -r ok failed < <(kubectl "${namespace[@]}" get job "$job" \
    -o jsonpath='{.status.succeeded} {.status.failed}{"\n"}' | awk '{print $1 + 0, $2 + 0}')
  [[ $((ok + failed)) -ge $shards ]] && break
  sleep 5
done

files=()
for ((i = 0; i < shards; i++)); do
  pod=$(kubectl "${namespace[@]}" get pods -l "job-name=$job,batch.kubernetes.io/job-completion-index=$i" \
    -o jsonpath='{.items[0].metadata.name}')
  kubectl "${namespace[@]}" logs "$pod" >"$out/shard-$i.jsonl"
  files+=("$out/shard-$i.jsonl")
  message=$(kubectl "${namespace[@]}" get pod "$pod" \
    -o jsonpath='{.status.containerStatuses[0].state.terminated.message}')
  [[ -z $message ]] || echo "collect: shard $i: $message" >&2
done
[[ $failed -eq 0 ]] || echo "collect: $failed shard(s) failed or crossed a threshold; merging what they wrote" >&2
lameduck report merge "${files[@]}" -o "$out/run.html" --json "$out/run.json"
echo "collect: wrote $out/run.html and $out/run.json from $shards shards"
