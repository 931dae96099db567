#!/usr/bin/env bash
# The `mq bench` speed matrix of issue 4, run side by side in one session: embedded broker with
# flush os, 100 B messages, 1 topic × 8 partitions unless the row says otherwise.
#
#   npm run build && bench/bench-matrix.sh [out-dir] [seconds] [producers]
#
# Each row writes <out-dir>/<row>/{result.json,report.html,*.hlog}; the last step prints
# `mq bench compare` over every row and writes <out-dir>/compare.html.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench-out}
secs=${2:-20}
producers=${3:-1}
mkdir -p "$out"

run() {
  local row=$1
  shift
  echo "== $row: mq bench $*" >&2
  node bin/run.js bench --message-size 100 --duration "${secs}s" --warmup 5s --producers "$producers" \
    --broker-flush os --json --out "$out/$row" "$@" >/dev/null
}

run produce-only-mq       --partitions 8 --subscriptions 0 --rate max
run produce-only-kafkajs  --partitions 8 --subscriptions 0 --rate max --driver kafkajs
run produce-consume-mq    --partitions 8 --rate max
run produce-consume-kafkajs --partitions 8 --rate max --driver kafkajs
run fixed-50k-mq          --partitions 8 --rate 50k --assert 'e2e.p99<10ms' --assert 'e2e.p99.9<25ms' || true
run partitions-1-mq       --partitions 1 --subscriptions 0 --rate max
run partitions-1000-mq    --partitions 1000 --subscriptions 0 --rate max

node bin/run.js bench compare "$out"/*/result.json --html "$out/compare.html"
