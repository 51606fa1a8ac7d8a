#!/usr/bin/env bash
# Verifies the committed data/ files against data/SHA256SUMS (written by
# scripts/extract_data.sh). Exit 0 when every listed file is present and
# intact and no unlisted data file exists; 1 otherwise, naming the files.
#   bash scripts/check_data.sh [DATA_DIR]      (default: the repo's data/)
set -euo pipefail
export LC_ALL=C
dir=${1:-"$(dirname "$0")/../data"}
cd "$dir" || exit 1

if [ ! -f SHA256SUMS ]; then
  echo "check_data: $PWD/SHA256SUMS is missing; run bash scripts/extract_data.sh" >&2
  exit 1
fi

status=0
if ! sha256sum --check --strict --quiet SHA256SUMS; then
  echo "check_data: the files named above do not match SHA256SUMS; restore them from git" \
       "or regenerate with bash scripts/extract_data.sh" >&2
  status=1
fi

# Files present but not listed (e.g. left over from another version).
extra=$(comm -13 <(sed 's/^[0-9a-f]*  //' SHA256SUMS | sort) \
                 <(find . -type f ! -name SHA256SUMS ! -name README.md | sed 's|^\./||' | sort))
if [ -n "$extra" ]; then
  echo "check_data: files not in SHA256SUMS: $extra" >&2
  status=1
fi

[ $status -eq 0 ] && echo "check_data: $(wc -l < SHA256SUMS) files OK"
exit $status
