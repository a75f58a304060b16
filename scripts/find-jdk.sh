#!/usr/bin/env bash
# Prints the home of a JDK >= 25 (the FFM API is final there): $JAVA_HOME when it is new enough,
# else the newest JDK under /usr/lib/jvm. Used by the Makefile and by ./socklab, so both agree.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/find-jdk.sh [--min VERSION] [--help]
Prints the home directory of a JDK whose feature version is at least VERSION (default 25).
Looks at $JAVA_HOME first, then every JDK under /usr/lib/jvm (newest first).
Exits 1 with one line naming what to install when none is found.
USAGE
}

min=25
while [[ $# -gt 0 ]]; do
  case "$1" in
    --min) min="${2:?--min needs a version}"; shift 2 ;;
    --help|-h) usage; exit 0 ;;
    *) echo "find-jdk.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done

# The feature version of the JDK at $1 (from its release file), or 0 when it is not a JDK.
feature_version() {
  local home="$1" v
  [[ -x "$home/bin/javac" && -r "$home/release" ]] || { echo 0; return; }
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
  echo "${v:-0}"
}

if [[ -n "${JAVA_HOME:-}" ]] && (( $(feature_version "$JAVA_HOME") >= min )); then
  echo "$JAVA_HOME"
  exit 0
fi

best="" best_version=0
for home in /usr/lib/jvm/*/; do
  home="${home%/}"
  [[ -L "$home" ]] && continue
  v=$(feature_version "$home")
  if (( v >= min && v > best_version )); then
    best="$home" best_version="$v"
  fi
done

if [[ -z "$best" ]]; then
  echo "socklab needs a JDK >= $min (none in \$JAVA_HOME or /usr/lib/jvm): install one, e.g. 'apt-get install temurin-$min-jdk' from Adoptium's repository or 'openjdk-$min-jdk', or set JAVA_HOME" >&2
  exit 1
fi
echo "$best"
