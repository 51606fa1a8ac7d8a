#!/usr/bin/env bash
# Rebuilds data/ (Jane Austen's novels, the sentence-attribution task, the
# handwritten digits) from two Debian packages, then writes data/SHA256SUMS.
# Run once by a developer; the outputs are committed. Downloads only the two
# .deb files from the Debian archive (apt-get download), unpacks them with
# dpkg -x into a temporary folder, installs nothing. Deterministic: a second
# run gives byte-identical files.
#   bash scripts/extract_data.sh                the pinned package versions
#   bash scripts/extract_data.sh --any-version  whatever apt offers (the outputs
#                                               then differ from the committed ones)
set -euo pipefail
cd "$(dirname "$0")/.."

# The versions the committed data came from (Debian 12 "bookworm").
JANEAUSTENR=r-cran-janeaustenr=1.0.0-1
SKLEARN=python3-sklearn=1.2.1+dfsg-1
if [ "${1:-}" = "--any-version" ]; then
  JANEAUSTENR=${JANEAUSTENR%%=*}
  SKLEARN=${SKLEARN%%=*}
elif [ $# -gt 0 ]; then
  echo "usage: bash scripts/extract_data.sh [--any-version]" >&2
  exit 2
fi

for tool in apt-get dpkg dpkg-deb sha256sum /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "extract_data: needs $tool (a Debian system)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# (Run as root, apt-get warns that it downloads "unsandboxed"; that is harmless.)

if ! (cd "$tmp" && apt-get download "$JANEAUSTENR" "$SKLEARN"); then
  echo "extract_data: apt-get download failed; run 'apt-get update' first, or pass --any-version" \
       "if the pinned versions ($JANEAUSTENR, $SKLEARN) are no longer in the archive" >&2
  exit 1
fi

describe() {  # "version sha256" of the one .deb matching $1
  local deb
  deb=$(ls "$tmp"/"$1"_*.deb)
  echo "$(dpkg-deb -f "$deb" Version) $(sha256sum "$deb" | cut -d' ' -f1)"
}
for p in r-cran-janeaustenr python3-sklearn; do
  dpkg -x "$tmp"/"$p"_*.deb "$tmp/$p"
done

# Build into an empty folder so no stale file survives, and replace data/
# only when everything succeeded.
mkdir "$tmp/data"
/usr/bin/python3 scripts/extract_data.py \
  --janeaustenr-root "$tmp/r-cran-janeaustenr" --janeaustenr-deb "$(describe r-cran-janeaustenr)" \
  --sklearn-root "$tmp/python3-sklearn" --sklearn-deb "$(describe python3-sklearn)" \
  --out "$tmp/data"
(cd "$tmp/data" && find . -type f ! -name SHA256SUMS ! -name README.md | sed 's|^\./||' | LC_ALL=C sort \
   | xargs sha256sum > SHA256SUMS)
rm -rf data
cp -r "$tmp/data" data
echo "extract_data: wrote data/ ($(du -sb data | cut -f1) bytes) and data/SHA256SUMS"
