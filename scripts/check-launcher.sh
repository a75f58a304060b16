#!/usr/bin/env bash
# Checks ./socklab end to end after the jar is built: --help and version work, usage errors exit 2
# with one line naming the problem. Part of `make test`.
set -euo pipefail

usage() {
  echo "Usage: scripts/check-launcher.sh [--help]"
  echo "Runs ./socklab --help, ./socklab version and two usage errors; exits 1 on the first mismatch."
}
case "${1:-}" in
  --help|-h) usage; exit 0 ;;
  "") ;;
  *) echo "check-launcher.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fail() { echo "check-launcher: FAIL: $*" >&2; exit 1; }

out=$("$root/socklab" --help) || fail "--help exited $?"
grep -q '^Usage: socklab' <<<"$out" || fail "--help printed no usage"

out=$("$root/socklab" version) || fail "version exited $?"
grep -Eq '^socklab [0-9.]+.* \(git [0-9a-f]{7,}(-dirty)?\)$' <<<"$out" || fail "version has no version and git SHA: $out"
grep -Eq '^jdk .* (2[5-9]|[3-9][0-9])[.+]' <<<"$out" || fail "version names no JDK >= 25: $out"
grep -q "^kernel  Linux $(uname -r)" <<<"$out" || fail "version names the wrong kernel: $out"

for bad in "--no-such-flag" "no-such-command"; do
  set +e
  err=$("$root/socklab" $bad 2>&1 >/dev/null); rc=$?
  set -e
  [[ $rc -eq 2 ]] || fail "'socklab $bad' exited $rc, expected 2"
  first=$(head -n 1 <<<"$err")
  grep -qF -- "$bad" <<<"$first" || fail "'socklab $bad': first line does not name the problem: $first"
done
# The jar must carry no stray stack trace or JVM warning on a clean run.
err=$("$root/socklab" version 2>&1 >/dev/null)
[[ -z "$err" ]] || fail "version wrote to stderr: $err"
echo "check-launcher: ./socklab --help, version and usage errors OK"
