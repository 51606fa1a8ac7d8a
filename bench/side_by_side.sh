#!/usr/bin/env bash
# Lamina's training step beside PyTorch's on the same LSTM workload, interleaved in one run
# (so both see the same machine state): Embedding(20000, 128, mask_zero) -> LSTM(256) ->
# Dense(2), Adam, batch 64, lengths 10..200 (the peer workload, bench/peer_workload.hpp).
#   bash bench/side_by_side.sh [ROUNDS]        (default 3; medians are what to report)
# Needs build/release (bash scripts/test.sh) and the peer scripts: PEER_DIR (default
# ../shared/bench/peer) with rnn_train.py, Debian's python3-torch, and an optimised BLAS for
# it in PEER_BLAS (Debian's PyTorch otherwise runs the netlib reference BLAS; see the peer
# README). OPENBLAS_CORETYPE is set for PyTorch as Lamina chooses it for itself, so that
# neither runs OpenBLAS's SSE3 fallback on CPUs OpenBLAS 0.3.21 does not know.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
peer=${PEER_DIR:-../shared/bench/peer}
peer_blas=${PEER_BLAS:-/opt/peer-blas/root/usr/lib/x86_64-linux-gnu/openblas-openmp}
bench=build/release/bench/bench_train_step
[ -x "$bench" ] || { echo "build first: bash scripts/test.sh" >&2; exit 1; }
[ -f "$peer/rnn_train.py" ] || { echo "no peer scripts in $peer (set PEER_DIR)" >&2; exit 1; }

core=""
if grep -q avx512bw /proc/cpuinfo; then core=SkylakeX; elif grep -q avx2 /proc/cpuinfo; then core=Haswell; fi

for round in $(seq "$rounds"); do
  for threads in 1 2; do
    echo "== round $round, $threads thread(s)"
    (cd "$peer" && OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$core} LD_LIBRARY_PATH=$peer_blas \
       /usr/bin/python3 rnn_train.py --threads "$threads" --variants lstm_padded lstm_packed --reps 3) |
      python3 -c "import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r.get('bench') == 'rnn_train':
        print('  pytorch %-14s %8d real tok/s' % (r['variant'], r['real_tokens_per_s']))"
    LAMINA_NUM_THREADS=$threads "$bench" --benchmark_filter="BM_TrainStepLstm/$threads/" --benchmark_min_time=3 \
      --benchmark_format=json 2>/dev/null |
      python3 -c "import json, sys
for b in json.load(sys.stdin)['benchmarks']:
    print('  lamina  %-14s %8.0f real tok/s   framework share %.1f%%' % ('masked', b['real_tok/s'], 100 * b['framework_share']))"
  done
done
