#!/usr/bin/env bash
# Watches one port's kernel queues with ss: every interval, a timestamped snapshot of the listening
# sockets (Recv-Q = accept queue, Send-Q = backlog) and of the connections on the port.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: scripts/watch-queues.sh --port PORT [--interval SECONDS] [--count N] [--out-dir DIR] [--help]
Prints, every SECONDS (default 0.2), a timestamped snapshot of `ss -ltn` and `ss -tn` for the local
port PORT: on a LISTEN line Recv-Q is the accept-queue length and Send-Q the backlog; on a
connection, bytes not yet read and not yet acknowledged. Runs until interrupted, or N snapshots.
With --out-dir, also writes DIR/watch-queues-portPORT-everySECONDSs-SHA-STAMP.log.
USAGE
}

port="" interval=0.2 count=0 out_dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="${2:-}"; shift 2 || die "--port needs a value" ;;
    --interval) interval="${2:-}"; shift 2 || die "--interval needs a value" ;;
    --count) count="${2:-}"; shift 2 || die "--count needs a value" ;;
    --out-dir) out_dir="${2:-}"; shift 2 || die "--out-dir needs a value" ;;
    --help|-h) usage; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ && "$port" -ge 1 && "$port" -le 65535 ]] || die "--port must be 1-65535, got '$port'"
[[ "$interval" =~ ^[0-9]*\.?[0-9]+$ ]] || die "--interval must be a number of seconds like 0.2, got '$interval'"
[[ "$count" =~ ^[0-9]+$ ]] || die "--count must be a whole number, got '$count'"

out=/dev/null
if [[ -n "$out_dir" ]]; then
  mkdir -p "$out_dir"
  out="$out_dir/watch-queues-port$port-every${interval}s-$(git_sha)-$(stamp).log"
  echo "watch-queues: writing $out" >&2
fi

n=0
while [[ $count -eq 0 || $n -lt $count ]]; do
  ss_snapshot "$port" | tee -a "$out"
  n=$((n + 1))
  [[ $count -ne 0 && $n -ge $count ]] || sleep "$interval"
done
