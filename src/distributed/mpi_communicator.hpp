#pragma once
// The MPI communicator (library-internal): MPI_COMM_WORLD, duplicated so Lamina's traffic
// never mixes with the program's own MPI calls.
#include "lamina/distributed/communicator.hpp"

namespace lamina::distributed {

// Initialises MPI (unless the program already did; then it finalises it too) and returns the
// world communicator. ValueError when Lamina was built without MPI.
CommunicatorRef make_mpi_world();

}  // namespace lamina::distributed
