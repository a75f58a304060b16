#!/usr/bin/env bash
# Runs a command and keeps what the kernel looked like around it: ss, nstat and the environment,
# before and after, with the command's output, under one result directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: scripts/capture.sh [--name NAME] [--port PORT] [--out-dir DIR] [--help] -- COMMAND [ARG...]
Runs COMMAND and saves, before and after it:
  ss-{before,after}.txt      ss -ltn and ss -tn on PORT (every listener and ss -s without --port)
  nstat-{before,after}.txt   nstat -asz: every kernel counter, absolute
  env-{before,after}.txt     kernel, network namespace, net.core.somaxconn, every net.ipv4.tcp_*
                             sysctl, CPU, load, JDK, git SHA
and nstat-delta.txt (the counters that moved), output.log (COMMAND's stdout and stderr) and
command.txt (the command line, times, exit code) into
DIR/capture-NAME[-portPORT]-SHA-STAMP/ (DIR: results; NAME: the command's name).
Counters are per network namespace: the deltas include every process in it.
Exits with COMMAND's exit code.
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="" port="" out_dir="$root/results"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --name) name="${2:-}"; shift 2 || die "--name needs a value" ;;
    --port) port="${2:-}"; shift 2 || die "--port needs a value" ;;
    --out-dir) out_dir="${2:-}"; shift 2 || die "--out-dir needs a value" ;;
    --help|-h) usage; exit 0 ;;
    --) shift; break ;;
    *) die "unknown option '$1' (try --help; the command goes after --)" ;;
  esac
done
[[ $# -gt 0 ]] || die "no command given: put it after --, e.g. scripts/capture.sh --name idle -- sleep 5"
[[ -z "$port" || ( "$port" =~ ^[0-9]+$ && "$port" -ge 1 && "$port" -le 65535 ) ]] || die "--port must be 1-65535, got '$port'"
for tool in ss nstat; do
  command -v "$tool" >/dev/null || die "$tool is missing: install iproute2" 1
done
name="${name:-$(basename "$1")}"
name="$(tr -c 'A-Za-z0-9._\n-' '_' <<<"$name")"
dir="$out_dir/capture-$name${port:+-port$port}-$(git_sha)-$(stamp)"
mkdir -p "$dir"

# What the machine and the kernel's TCP settings were: the numbers a reader needs to trust a result.
environment() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
  echo "git: $(git_sha)"
  echo "kernel: $(uname -srvm)"
  echo "netns: $(netns)"
  echo "cpu: $(nproc) online, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo "load: $(cat /proc/loadavg)"
  local jdk
  if jdk="$("$root/scripts/find-jdk.sh" 2>/dev/null)"; then
    echo "jdk: $jdk: $("$jdk/bin/java" -version 2>&1 | head -n 1)"
  else
    echo "jdk: none >= 25 found"
  fi
  echo "net.core.somaxconn = $(cat /proc/sys/net/core/somaxconn)"
  local f
  for f in /proc/sys/net/ipv4/tcp_*; do
    echo "net.ipv4.$(basename "$f") = $(tr '\t' ' ' <"$f" 2>/dev/null || echo '(unreadable)')"
  done
}

snapshot() {
  local when="$1"
  environment >"$dir/env-$when.txt"
  ss_snapshot "$port" >"$dir/ss-$when.txt"
  nstat_snapshot >"$dir/nstat-$when.txt"
}

snapshot before
started="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
set +e
"$@" 2>&1 | tee "$dir/output.log"
rc=${PIPESTATUS[0]}
set -e
finished="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
snapshot after
nstat_delta "$dir/nstat-before.txt" "$dir/nstat-after.txt" >"$dir/nstat-delta.txt"
{
  printf 'command:'; printf ' %q' "$@"; echo
  echo "started: $started"
  echo "finished: $finished"
  echo "exit: $rc"
} >"$dir/command.txt"
echo "capture: $dir (exit $rc)" >&2
exit "$rc"
