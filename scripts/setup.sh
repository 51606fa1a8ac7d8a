#!/usr/bin/env bash
# Installs every Debian package Lamina needs to build, test and benchmark.
# Idempotent: packages already present are left alone; nothing is downloaded
# from anywhere but the Debian archive.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas-openmp-dev   # optimised BLAS; the OpenMP flavour shares threads with our kernels
  libfmt-dev               # formatting
  nlohmann-json3-dev       # JSON (configs, saving)
  libcli11-dev             # command-line parsing for tools
  zlib1g-dev               # CRC-32 checksums of model files, gzip-compressed data
  libhdf5-dev              # Keras files: model.weights.h5 inside .keras, legacy .h5
  libzip-dev               # Keras files: the .keras zip container
  libopenmpi-dev openmpi-bin  # data-parallel training over MPI (docs/distributed.md)
  python3-h5py             # tests: check exported Keras files as h5py reads them
  clang-14 libclang-rt-14-dev libomp-14-dev  # scripts/fuzz.sh: libFuzzer with ASan + UBSan
  gnuplot-nox              # training curves and confusion matrices (PNG, SVG)
  fonts-dejavu-core        # the font the pictures use
  pybind11-dev python3-dev python3-numpy python3-pytest  # the Python module (python/)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "lamina setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "lamina setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
