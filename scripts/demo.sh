#!/usr/bin/env bash
# The main job on a fresh machine: installs what is missing, builds the `lamina` program,
# and runs `lamina demo` (Austen novel attribution) on the data shipped in data/.
#   bash scripts/demo.sh            the default demo
#   bash scripts/demo.sh lm         the character language model (also: digits)
# Any arguments go to `lamina demo`. The model and pictures land in ./lamina-demo/.
set -euo pipefail
here="$(pwd)"
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
(cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release --target lamina_cli)
cd "$here"
exec "$root/build/release/tools/lamina" demo "$@"
