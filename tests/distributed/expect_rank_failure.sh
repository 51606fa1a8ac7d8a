#!/bin/sh
# Runs the DataParallelFailure test as 2 ranks, where rank 1 dies (kill) or throws (throw)
# mid-epoch, and checks that the job ends non-zero within 90 s with a message naming rank 1.
# Usage: expect_rank_failure.sh MPIEXEC TEST_BINARY kill|throw
mpiexec=$1 binary=$2 mode=$3
out=$(LAMINA_TEST_FAILURE=$mode timeout 90 "$mpiexec" -n 2 --oversubscribe --allow-run-as-root --bind-to none \
      "$binary" --gtest_filter='DataParallelFailure.*' 2>&1)
rc=$?
echo "$out"
if [ $rc -eq 0 ]; then echo "FAIL: the job exited 0 although rank 1 $mode-ed"; exit 1; fi
if [ $rc -eq 124 ]; then echo "FAIL: the job hung (killed by the 90 s timeout)"; exit 1; fi
case $mode in
  kill) pattern='rank 1 with PID' ;;
  *) pattern='lamina: rank 1 of 2 failed' ;;
esac
if ! echo "$out" | grep -q "$pattern"; then echo "FAIL: no message naming rank 1 ('$pattern')"; exit 1; fi
echo "OK: exit code $rc, rank 1 named"
