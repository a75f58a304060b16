#!/usr/bin/env bash
# Runs a command and prints how the kernel's network counters (nstat) moved while it ran.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: scripts/nstat-delta.sh [--all] [--out-dir DIR] [--help] -- COMMAND [ARG...]
Takes `nstat -asz` (absolute values, nstat's history untouched) before and after COMMAND and prints
the counters that moved (every counter with --all), e.g. TcpExtListenOverflows +12. Counters are
per network namespace: they include every process in it, not only COMMAND.
With --out-dir, also saves nstat-before.txt, nstat-after.txt and nstat-delta.txt in
DIR/nstat-delta-NAME-SHA-STAMP/ (NAME: the command's name). Exits with COMMAND's exit code.
USAGE
}

which=moved out_dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --all) which=all; shift ;;
    --out-dir) out_dir="${2:-}"; shift 2 || die "--out-dir needs a value" ;;
    --help|-h) usage; exit 0 ;;
    --) shift; break ;;
    *) die "unknown option '$1' (try --help; the command goes after --)" ;;
  esac
done
[[ $# -gt 0 ]] || die "no command given: put it after --, e.g. scripts/nstat-delta.sh -- sleep 1"
command -v nstat >/dev/null || die "nstat is missing: install iproute2" 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nstat_snapshot >"$work/nstat-before.txt"
set +e
"$@"
rc=$?
set -e
nstat_snapshot >"$work/nstat-after.txt"
nstat_delta "$work/nstat-before.txt" "$work/nstat-after.txt" "$which" | tee "$work/nstat-delta.txt"
if [[ -n "$out_dir" ]]; then
  dir="$out_dir/nstat-delta-$(basename "$1" | tr -c 'A-Za-z0-9._\n-' '_')-$(git_sha)-$(stamp)"
  mkdir -p "$dir"
  cp "$work"/nstat-*.txt "$dir/"
  echo "nstat-delta: saved in $dir" >&2
fi
exit "$rc"
