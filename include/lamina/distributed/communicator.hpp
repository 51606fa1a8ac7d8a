#pragma once
// Communicator: the collectives data-parallel training needs (docs/distributed.md).
//
//   auto& comm = lm::distributed::world();    // MPI under mpirun, else one process
//   comm.allreduce(std::span<float>(grad));   // in place, sum over every rank
//   comm.broadcast(std::span<double>(w), 0);  // rank 0's values everywhere
//
// world() is the single-process communicator unless the program was started by mpirun
// (OMPI_COMM_WORLD_SIZE / PMIX_RANK / PMI_RANK in the environment) and Lamina was built
// with LAMINA_WITH_MPI: a program built with MPI still runs as one process without mpirun.
//
// Reduce orders: Order::Any lets MPI pick its algorithm (fastest; the float result may
// depend on the rank count and MPI's choice). Order::RankOrder sums ((r0 + r1) + r2) ...
// on every rank, so results are bit-identical between runs and across ranks, and equal to
// one process summing the shards' values in rank order.
//
// Every collective must be entered by every rank in the same order. A collective that does
// not complete within timeout() seconds throws IOError (a peer died or is stuck) instead of
// hanging.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lamina::distributed {

enum class Order { Any, RankOrder };

// A started non-blocking collective. wait() completes it (IOError on timeout); the buffer
// given to the collective must stay alive and untouched until then. Destroying a request
// that was not waited for waits for it.
class Request {
 public:
  virtual ~Request() = default;
  virtual void wait() = 0;
  virtual bool test() = 0;  // true once complete (then wait() returns at once)
};
using RequestRef = std::unique_ptr<Request>;

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // "single process" or "MPI rank 1 of 2 on host", for messages.
  virtual std::string describe() const = 0;
  // Seconds a collective may take before it throws (default 300, or LAMINA_DIST_TIMEOUT).
  double timeout() const { return timeout_; }
  void set_timeout(double seconds);

  // Sum over ranks, in place.
  void allreduce(std::span<float> data, Order order = Order::Any) { iallreduce(data, order)->wait(); }
  void allreduce(std::span<double> data, Order order = Order::Any) { iallreduce(data, order)->wait(); }
  void allreduce(std::span<std::int64_t> data) {
    start_allreduce(data.data(), data.size(), Kind::I64, Order::Any)->wait();
  }
  RequestRef iallreduce(std::span<float> data, Order order = Order::Any) {
    return start_allreduce(data.data(), data.size(), Kind::F32, order);
  }
  RequestRef iallreduce(std::span<double> data, Order order = Order::Any) {
    return start_allreduce(data.data(), data.size(), Kind::F64, order);
  }
  // Root's values into every rank's buffer (same size everywhere).
  void broadcast(std::span<float> data, int root = 0) { do_broadcast(data.data(), data.size(), Kind::F32, root); }
  void broadcast(std::span<double> data, int root = 0) { do_broadcast(data.data(), data.size(), Kind::F64, root); }
  void broadcast(std::span<std::int64_t> data, int root = 0) {
    do_broadcast(data.data(), data.size(), Kind::I64, root);
  }
  // Every rank's `data` (same size everywhere), concatenated in rank order.
  std::vector<double> allgather(std::span<const double> data);
  std::vector<std::int64_t> allgather(std::span<const std::int64_t> data);
  void barrier() { do_barrier(); }
  // Ends every rank of the job (MPI_Abort); one process: std::exit(code).
  [[noreturn]] virtual void abort(int code) = 0;

 protected:
  enum class Kind { F32, F64, I64 };
  static std::size_t bytes_of(Kind k) { return k == Kind::F32 ? 4 : 8; }
  virtual RequestRef start_allreduce(void* data, std::size_t n, Kind kind, Order order) = 0;
  virtual void do_broadcast(void* data, std::size_t n, Kind kind, int root) = 0;
  virtual void do_allgather(const void* data, std::size_t n, void* out, Kind kind) = 0;
  virtual void do_barrier() = 0;
  // Checks `root` and throws ValueError naming `what` when it is not a rank.
  void check_root(int root, const char* what) const;

 private:
  double timeout_ = default_timeout();
  static double default_timeout();
};
using CommunicatorRef = std::shared_ptr<Communicator>;

// The process's communicator (created on first use; MPI is initialised then, and finalised
// at exit).
CommunicatorRef world();
// A communicator of one rank: every collective is the identity.
CommunicatorRef single_process();
// Whether this build has MPI, and whether the environment says mpirun started us.
bool built_with_mpi();
bool launched_by_mpirun();

}  // namespace lamina::distributed
