// The collectives, checked against sums written out by hand. The same tests run as one
// process (ctest's test_distributed) and as 2 and 3 ranks under mpirun (distributed_mpi_np*).
#include "lamina/distributed/communicator.hpp"

#include <chrono>
#include <cmath>
#include <thread>

#include "test_util.hpp"

namespace lm = lamina;
namespace dist = lamina::distributed;
using ::testing::HasSubstr;

namespace {

// What rank r contributes to element i.
double value(int r, int i) { return (r + 1) * 10.0 + i; }

}  // namespace

TEST(Communicator, WorldIsSingleProcessWithoutMpirun) {
  auto comm = dist::world();
  if (dist::launched_by_mpirun()) {
    EXPECT_EQ(comm->size() > 1 || std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr, true);
    EXPECT_THAT(comm->describe(), HasSubstr("MPI rank"));
  } else {
    EXPECT_EQ(comm->size(), 1);
    EXPECT_EQ(comm->rank(), 0);
    EXPECT_EQ(comm->describe(), "single process");
  }
  EXPECT_EQ(dist::single_process()->size(), 1);
}

TEST(Communicator, AllreduceSumsEveryType) {
  auto comm = dist::world();
  const int n = comm->size(), r = comm->rank();
  std::vector<float> f = {static_cast<float>(value(r, 0)), static_cast<float>(value(r, 1)), -1.5f};
  std::vector<double> d = {value(r, 0), value(r, 1)};
  std::vector<std::int64_t> i = {r + 1, -(std::int64_t{1} << 40)};
  comm->allreduce(std::span<float>(f));
  comm->allreduce(std::span<double>(d), dist::Order::RankOrder);
  comm->allreduce(std::span<std::int64_t>(i));
  // sum over r of (r + 1) * 10 + k = 10 * n(n+1)/2 + n*k
  const double tri = n * (n + 1) / 2.0;
  EXPECT_EQ(f[0], static_cast<float>(10 * tri));
  EXPECT_EQ(f[1], static_cast<float>(10 * tri + n));
  EXPECT_EQ(f[2], -1.5f * static_cast<float>(n));
  EXPECT_EQ(d[0], 10 * tri);
  EXPECT_EQ(d[1], 10 * tri + n);
  EXPECT_EQ(i[0], static_cast<std::int64_t>(tri));
  EXPECT_EQ(i[1], -(std::int64_t{1} << 40) * n);
}

TEST(Communicator, RankOrderSumsInRankOrderOnEveryRank) {
  auto comm = dist::world();
  const int n = comm->size(), r = comm->rank();
  // Values whose float sum depends on the order: 1e8, then 3.0s and -1e8 mixed by rank.
  auto mine = [](int rank) { return rank == 0 ? 1e8f : rank % 2 ? 3.0f : -1e8f; };
  std::vector<float> v = {mine(r), mine(r) * 0.5f};
  comm->allreduce(std::span<float>(v), dist::Order::RankOrder);
  float expect0 = mine(0), expect1 = mine(0) * 0.5f;
  for (int k = 1; k < n; ++k) expect0 += mine(k), expect1 += mine(k) * 0.5f;
  EXPECT_EQ(v[0], expect0);
  EXPECT_EQ(v[1], expect1);
  // Every rank holds the same bits.
  std::vector<double> got = {v[0], v[1]};
  auto all = comm->allgather(std::span<const double>(got));
  for (int k = 0; k < n; ++k) {
    EXPECT_EQ(all[2 * k], got[0]);
    EXPECT_EQ(all[2 * k + 1], got[1]);
  }
}

TEST(Communicator, NonBlockingAllreduceCompletesOnWait) {
  auto comm = dist::world();
  const int n = comm->size(), r = comm->rank();
  std::vector<float> a(1000), b(7);
  for (int i = 0; i < 1000; ++i) a[i] = static_cast<float>(r + i);
  for (int i = 0; i < 7; ++i) b[i] = static_cast<float>(r * i);
  auto ra = comm->iallreduce(std::span<float>(a));
  auto rb = comm->iallreduce(std::span<float>(b), dist::Order::RankOrder);
  rb->wait();
  ra->wait();
  EXPECT_TRUE(ra->test());
  const float ranks = static_cast<float>(n * (n - 1) / 2);  // sum of r
  for (int i = 0; i < 1000; i += 111) EXPECT_EQ(a[i], ranks + static_cast<float>(n * i)) << i;
  for (int i = 0; i < 7; ++i) EXPECT_EQ(b[i], ranks * static_cast<float>(i)) << i;
}

TEST(Communicator, BroadcastAndAllgather) {
  auto comm = dist::world();
  const int n = comm->size(), r = comm->rank();
  std::vector<double> d = {r == 0 ? 42.5 : -1.0, r == 0 ? 7.0 : -1.0};
  comm->broadcast(std::span<double>(d), 0);
  EXPECT_EQ(d, (std::vector<double>{42.5, 7.0}));
  std::vector<std::int64_t> last = {r == n - 1 ? 99 : 0};
  comm->broadcast(std::span<std::int64_t>(last), n - 1);
  EXPECT_EQ(last[0], 99);
  std::vector<std::int64_t> mine = {r, 10 * r};
  auto all = comm->allgather(std::span<const std::int64_t>(mine));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(2 * n));
  for (int k = 0; k < n; ++k) {
    EXPECT_EQ(all[2 * k], k);
    EXPECT_EQ(all[2 * k + 1], 10 * k);
  }
  comm->barrier();
}

TEST(Communicator, BadArgumentsAreValueErrors) {
  auto comm = dist::world();
  std::vector<double> d(1);
  EXPECT_LAMINA_ERROR(comm->broadcast(std::span<double>(d), comm->size()), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("root is not a rank")); });
  EXPECT_LAMINA_ERROR(dist::single_process()->set_timeout(0), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("positive number of seconds")); });
}

// A rank that does not arrive: the collective throws after the timeout instead of hanging.
TEST(Communicator, CollectiveTimesOutInsteadOfHanging) {
  auto comm = dist::world();
  if (comm->size() == 1) GTEST_SKIP() << "needs a second rank (distributed_mpi_np*)";
  if (comm->rank() == 0) {
    const double before = comm->timeout();
    comm->set_timeout(1);
    EXPECT_LAMINA_ERROR(comm->barrier(), lm::IOError, {
      EXPECT_THAT(msg, HasSubstr("MPI rank 0 of"));
      EXPECT_THAT(msg, HasSubstr("did not complete within 1 s"));
    });
    comm->set_timeout(before);
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    comm->barrier();  // completes rank 0's abandoned barrier, so later collectives pair up
  }
}
