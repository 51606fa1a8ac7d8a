// The Communicator base, the single-process communicator and world().
#include "lamina/distributed/communicator.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "distributed/mpi_communicator.hpp"
#include "lamina/core/error.hpp"

namespace lamina::distributed {

double Communicator::default_timeout() {
  if (const char* s = std::getenv("LAMINA_DIST_TIMEOUT")) {
    char* end = nullptr;
    double v = std::strtod(s, &end);
    if (end != s && std::isfinite(v) && v > 0) return v;
  }
  return 300.0;
}

void Communicator::set_timeout(double seconds) {
  if (!(seconds > 0) || !std::isfinite(seconds))
    throw ValueError({.op = "Communicator::set_timeout",
                      .problem = "the collective timeout must be a positive number of seconds",
                      .expected = "> 0",
                      .found = fmt::format("{}", seconds),
                      .hint = "e.g. 60; the default is 300 (or LAMINA_DIST_TIMEOUT)"});
  timeout_ = seconds;
}

void Communicator::check_root(int root, const char* what) const {
  if (root < 0 || root >= size())
    throw ValueError({.op = what,
                      .problem = "the root is not a rank of the communicator",
                      .expected = fmt::format("a rank in [0, {})", size()),
                      .found = std::to_string(root),
                      .hint = "rank 0 is the usual root"});
}

std::vector<double> Communicator::allgather(std::span<const double> data) {
  std::vector<double> out(data.size() * static_cast<std::size_t>(size()));
  do_allgather(data.data(), data.size(), out.data(), Kind::F64);
  return out;
}

std::vector<std::int64_t> Communicator::allgather(std::span<const std::int64_t> data) {
  std::vector<std::int64_t> out(data.size() * static_cast<std::size_t>(size()));
  do_allgather(data.data(), data.size(), out.data(), Kind::I64);
  return out;
}

namespace {

struct DoneRequest final : Request {
  void wait() override {}
  bool test() override { return true; }
};

// One rank: a sum over one rank is the value itself, so collectives do nothing.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string describe() const override { return "single process"; }
  [[noreturn]] void abort(int code) override { std::exit(code); }

 protected:
  RequestRef start_allreduce(void*, std::size_t, Kind, Order) override { return std::make_unique<DoneRequest>(); }
  void do_broadcast(void*, std::size_t, Kind, int root) override { check_root(root, "broadcast"); }
  void do_allgather(const void* data, std::size_t n, void* out, Kind kind) override {
    if (n) std::memcpy(out, data, n * bytes_of(kind));
  }
  void do_barrier() override {}
};

}  // namespace

CommunicatorRef single_process() { return std::make_shared<SingleProcess>(); }

bool built_with_mpi() {
#ifdef LAMINA_WITH_MPI
  return true;
#else
  return false;
#endif
}

bool launched_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

CommunicatorRef world() {
  static std::mutex mutex;
  static CommunicatorRef comm;
  std::lock_guard lock(mutex);
  if (!comm) comm = launched_by_mpirun() && built_with_mpi() ? make_mpi_world() : single_process();
  return comm;
}

}  // namespace lamina::distributed
