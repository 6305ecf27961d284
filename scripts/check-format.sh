#!/usr/bin/env bash
# Lists the C++ files that do not follow .clang-format; fails if there are any.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(git ls-files '*.cpp' '*.h' | xargs -r clang-format --dry-run -Werror 2>&1 |
      grep -oE '^[^:]+\.(cpp|h):' | sort -u | tr -d ':' || true)
if [[ -n $bad ]]; then
  echo "not formatted (run clang-format -i on them):"
  echo "$bad" | sed 's/^/  /'
  exit 1
fi
echo "all C++ files follow .clang-format"
