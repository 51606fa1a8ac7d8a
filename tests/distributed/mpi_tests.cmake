# The mpirun runs of test_distributed (included from the top-level CMakeLists.txt). Every
# MPI test of tests/distributed also runs as one process through gtest_discover_tests; these
# run the same suites as 2 and 3 ranks. CI runs as root on 2 cores, hence --oversubscribe
# and --allow-run-as-root.
if(NOT LAMINA_WITH_MPI OR NOT TARGET test_distributed)
  return()
endif()
set(LAMINA_MPIRUN ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG})
set(LAMINA_MPI_FLAGS --oversubscribe --allow-run-as-root --bind-to none)
foreach(ranks 2 3)
  add_test(NAME distributed_mpi_np${ranks}
           COMMAND ${LAMINA_MPIRUN} ${ranks} ${LAMINA_MPI_FLAGS} $<TARGET_FILE:test_distributed>
                   --gtest_filter=DataParallel*:Communicator*)
  set_tests_properties(distributed_mpi_np${ranks} PROPERTIES TIMEOUT 300 PROCESSORS 2
                       ENVIRONMENT "OMP_NUM_THREADS=1;LAMINA_NUM_THREADS=1;LAMINA_DIST_TIMEOUT=60")
endforeach()
# A rank killed (or throwing) mid-epoch: the job must end non-zero, naming the rank, well
# within the timeout (no hang).
foreach(failure kill throw)
  add_test(NAME distributed_mpi_rank_${failure}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tests/distributed/expect_rank_failure.sh
                   ${MPIEXEC_EXECUTABLE} $<TARGET_FILE:test_distributed> ${failure})
  set_tests_properties(distributed_mpi_rank_${failure} PROPERTIES TIMEOUT 120 PROCESSORS 2
                       ENVIRONMENT "OMP_NUM_THREADS=1;LAMINA_NUM_THREADS=1;LAMINA_DIST_TIMEOUT=20")
endforeach()
