#!/usr/bin/env bash
# The kernel path's tests against an AddressSanitizer + UndefinedBehaviorSanitizer
# build of the addon (dist/sosplice-asan.node, loaded through SOSPLICE_NATIVE_ADDON).
# The runtime starts with the ASan runtime preloaded (it must come first) and
# with leak detection off: the runtime's own allocations are not ours to judge.
# Any ASan or UBSan report aborts the run.
#   bash packages/native/scripts/sanitize.sh [--only node20,bun] [test files...]
set -euo pipefail
cd "$(dirname "$0")/../../.."
cc_bin="${CC:-cc}"
node packages/native/scripts/build-addon.mjs --sanitize
asan="$("$cc_bin" -print-file-name=libasan.so)"
if [ ! -e "$asan" ]; then
  echo "sanitize: no libasan.so next to $cc_bin; install the compiler's ASan runtime (Debian: libasan8)" >&2
  exit 1
fi
only="node20,bun"
if [ "${1:-}" = "--only" ]; then only="$2"; shift 2; fi
if [ "$#" -eq 0 ]; then
  set -- test/native test/conformance/node.node.test.ts test/conformance/bun.bun.test.ts -t kernel
fi
export SOSPLICE_NATIVE_ADDON="$PWD/packages/native/dist/sosplice-asan.node"
export SOSPLICE_CHURN_SPLICES="${SOSPLICE_CHURN_SPLICES:-600}"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
LD_PRELOAD="$asan" exec node scripts/test-all.mjs --only "$only" "$@"
