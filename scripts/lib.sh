# Shared by the ss/nstat scripts: sourced, not run. Each function is one way of taking a snapshot,
# so that watch-queues.sh, nstat-delta.sh and capture.sh record the same things the same way.

# One line on stderr naming the problem, exit 2 (a usage error) unless a code is given.
die() {
  echo "$(basename "$0"): $1" >&2
  exit "${2:-2}"
}

# The checkout's short git SHA, -dirty when the tree has changes; "nogit" outside a checkout.
git_sha() {
  local root sha
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  sha=$(git -C "$root" rev-parse --short HEAD 2>/dev/null) || { echo nogit; return; }
  git -C "$root" diff --quiet HEAD 2>/dev/null || sha="$sha-dirty"
  echo "$sha"
}

# UTC time for result names: 20251127T213000Z.
stamp() {
  date -u +%Y%m%dT%H%M%SZ
}

# The network namespace this shell is in: net:[4026531840]. Counters and sockets are per namespace.
netns() {
  readlink /proc/self/ns/net 2>/dev/null || echo "net:[unknown]"
}

# Absolute values of every counter nstat knows (-a absolute, -s leave nstat's history alone,
# -z zeros too), with a private history file so concurrent runs do not disturb one another.
nstat_snapshot() {
  local history
  history=$(mktemp)
  NSTAT_HISTORY="$history" nstat -asz
  rm -f "$history"
}

# Deltas between two nstat_snapshot files: "Name +N", the counters that moved (all with "all").
nstat_delta() {
  local before="$1" after="$2" which="${3:-moved}"
  echo "# counter deltas of network namespace $(netns) (per namespace: every process in it counts)"
  awk -v all="$([[ $which == all ]] && echo 1 || echo 0)" '
    /^#/ { next }
    NR == FNR { before[$1] = $2; next }
    { d = $2 - before[$1]; if (all || d != 0) printf "%-36s %s%.0f\n", $1, (d > 0 ? "+" : ""), d }
  ' "$before" "$after"
}

# ss's view of TCP: listeners (Recv-Q = accept queue, Send-Q = backlog) and connections, on PORT
# when one is given, else every listener and a summary.
ss_snapshot() {
  local port="${1:-}"
  echo "# $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $(netns)"
  if [[ -n "$port" ]]; then
    ss -ltn "sport = :$port"
    ss -tn "( sport = :$port or dport = :$port )"
  else
    ss -ltn
    ss -s
  fi
}
