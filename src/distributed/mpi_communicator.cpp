// The MPI communicator. Every collective is non-blocking underneath (MPI_I*) and waited for by
// polling with a deadline: MPI itself offers no timeout, and a rank that died or threw must
// not leave the others blocked forever.
#include "distributed/mpi_communicator.hpp"

#include <fmt/format.h>

#include "lamina/core/error.hpp"

#ifdef LAMINA_WITH_MPI
#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#endif

namespace lamina::distributed {

#ifndef LAMINA_WITH_MPI

CommunicatorRef make_mpi_world() {
  throw ValueError({.op = "distributed::world",
                    .problem = "this Lamina was built without MPI",
                    .expected = "a build with LAMINA_WITH_MPI=ON (libopenmpi-dev installed when configuring)",
                    .found = "LAMINA_WITH_MPI=OFF",
                    .hint = "install libopenmpi-dev and openmpi-bin (scripts/setup.sh), then reconfigure"});
}

#else

namespace {

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

bool mpi_alive() {
  int init = 0, finalized = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&finalized);
  return init && !finalized;
}

class Mpi;

class MpiRequest final : public Request {
 public:
  MpiRequest(const Mpi& owner, std::string what) : owner_(owner), what_(std::move(what)) {}
  ~MpiRequest() override {
    if (done_ || !mpi_alive()) return;
    try {
      wait();
    } catch (const Error&) {
      // A destructor must not throw; the failure surfaces at the next collective.
    }
  }
  void wait() override;
  bool test() override;

  MPI_Request request = MPI_REQUEST_NULL;
  // Order::RankOrder: every rank's values, summed in rank order into `target` on completion.
  std::vector<std::byte> gathered;
  void* target = nullptr;
  std::size_t n = 0;
  bool float32 = false;

 private:
  void finish();
  const Mpi& owner_;
  std::string what_;
  bool done_ = false;
};

class Mpi final : public Communicator {
 public:
  Mpi() {
    int init = 0;
    MPI_Initialized(&init);
    if (!init) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      std::atexit(finalize_at_exit);
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int len = 0;
    MPI_Get_processor_name(name, &len);
    host_.assign(name, static_cast<std::size_t>(len));
  }
  ~Mpi() override {
    if (mpi_alive()) MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string describe() const override { return fmt::format("MPI rank {} of {} on {}", rank_, size_, host_); }
  [[noreturn]] void abort(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    if (mpi_alive()) MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

  // Throws IOError for an MPI error code.
  void check(int rc, const std::string& what) const {
    if (rc == MPI_SUCCESS) return;
    char msg[MPI_MAX_ERROR_STRING] = {};
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    throw IOError({.op = what,
                   .problem = fmt::format("MPI failed on {}", describe()),
                   .expected = "the collective to complete on every rank",
                   .found = std::string(msg, static_cast<std::size_t>(len)),
                   .hint = "another rank probably died; look at its output for the first error"});
  }
  [[noreturn]] void timed_out(const std::string& what) const {
    throw IOError({.op = what,
                   .problem = fmt::format("{}: the collective did not complete within {} s", describe(), timeout()),
                   .expected = fmt::format("all {} ranks to enter the same collective", size_),
                   .found = "at least one rank never arrived (it died, threw, or is stuck)",
                   .hint = "look at the other ranks' output for the first error; raise LAMINA_DIST_TIMEOUT (or "
                           "Communicator::set_timeout) if a step legitimately takes longer"});
  }
  // Polls `request` until it completes or the timeout passes.
  void await(MPI_Request& request, const std::string& what) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout());
    for (int spins = 0;; ++spins) {
      int flag = 0;
      check(MPI_Test(&request, &flag, MPI_STATUS_IGNORE), what);
      if (flag) return;
      if (spins > 200) {
        if (std::chrono::steady_clock::now() > deadline) timed_out(what);
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    }
  }

 protected:
  static MPI_Datatype type(Kind k) { return k == Kind::F32 ? MPI_FLOAT : k == Kind::F64 ? MPI_DOUBLE : MPI_INT64_T; }
  static int count(std::size_t n, const char* what) {
    if (n > static_cast<std::size_t>(INT_MAX))
      throw ValueError({.op = what,
                        .problem = "the buffer is too large for one MPI call",
                        .expected = fmt::format("at most {} elements", INT_MAX),
                        .found = std::to_string(n),
                        .hint = "split it into buckets"});
    return static_cast<int>(n);
  }
  std::string label(const char* op, std::size_t n) { return fmt::format("{} #{} ({} values)", op, ++calls_, n); }

  RequestRef start_allreduce(void* data, std::size_t n, Kind kind, Order order) override {
    auto req = std::make_unique<MpiRequest>(*this, label("allreduce", n));
    const int c = count(n, "allreduce");
    if (order == Order::RankOrder && kind != Kind::I64) {
      // Gather everything, then each rank sums in rank order itself: the same operations
      // in the same order everywhere, whatever algorithm MPI would pick.
      req->gathered.resize(n * bytes_of(kind) * static_cast<std::size_t>(size_));
      req->target = data;
      req->n = n;
      req->float32 = kind == Kind::F32;
      check(MPI_Iallgather(data, c, type(kind), req->gathered.data(), c, type(kind), comm_, &req->request),
            "allreduce");
    } else {
      check(MPI_Iallreduce(MPI_IN_PLACE, data, c, type(kind), MPI_SUM, comm_, &req->request), "allreduce");
    }
    return req;
  }
  void do_broadcast(void* data, std::size_t n, Kind kind, int root) override {
    check_root(root, "broadcast");
    MPI_Request r;
    check(MPI_Ibcast(data, count(n, "broadcast"), type(kind), root, comm_, &r), "broadcast");
    await(r, label("broadcast", n));
  }
  void do_allgather(const void* data, std::size_t n, void* out, Kind kind) override {
    MPI_Request r;
    const int c = count(n, "allgather");
    check(MPI_Iallgather(data, c, type(kind), out, c, type(kind), comm_, &r), "allgather");
    await(r, label("allgather", n));
  }
  void do_barrier() override {
    MPI_Request r;
    check(MPI_Ibarrier(comm_, &r), "barrier");
    await(r, label("barrier", 0));
  }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  std::string host_;
  std::uint64_t calls_ = 0;
};

template <class T>
void sum_rank_order(const std::byte* gathered, std::size_t n, int ranks, void* target) {
  const T* g = reinterpret_cast<const T*>(gathered);
  T* out = static_cast<T*>(target);
  std::memcpy(out, g, n * sizeof(T));
  for (int r = 1; r < ranks; ++r) {
    const T* p = g + static_cast<std::size_t>(r) * n;
    for (std::size_t i = 0; i < n; ++i) out[i] += p[i];
  }
}

void MpiRequest::finish() {
  done_ = true;
  if (!target) return;
  if (float32)
    sum_rank_order<float>(gathered.data(), n, owner_.size(), target);
  else
    sum_rank_order<double>(gathered.data(), n, owner_.size(), target);
  gathered.clear();
}

void MpiRequest::wait() {
  if (done_) return;
  done_ = true;  // a timeout leaves the request abandoned, never waited for twice
  owner_.await(request, what_);
  done_ = false;
  finish();
}

bool MpiRequest::test() {
  if (done_) return true;
  int flag = 0;
  owner_.check(MPI_Test(&request, &flag, MPI_STATUS_IGNORE), what_);
  if (flag) finish();
  return flag != 0;
}

}  // namespace

CommunicatorRef make_mpi_world() { return std::make_shared<Mpi>(); }

#endif

}  // namespace lamina::distributed
