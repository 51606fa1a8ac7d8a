#!/bin/sh
# 1 process x 2 threads against 2 ranks x 1 thread on the peer LSTM workload. Run it on an idle
# machine: the figures are wall-clock.
# Usage: bench/distributed/run.sh [build/release] [epochs]
build=${1:-build/release} epochs=${2:-3}
bin=$build/bench/distributed/bench_dp_lstm
LAMINA_NUM_THREADS=2 OMP_NUM_THREADS=2 "$bin" "$epochs"
mpirun -np 2 --oversubscribe --allow-run-as-root --bind-to none -x LAMINA_NUM_THREADS=1 -x OMP_NUM_THREADS=1 \
  "$bin" "$epochs"
