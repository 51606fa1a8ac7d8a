#include <cstdlib>

#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Config, LinksOpenBlasWithOpenMP) {
  // Not the netlib reference BLAS: that runs 20-30x slower (see README).
  std::string info = lm::blas_info();
  EXPECT_THAT(info, HasSubstr("OpenBLAS"));
  EXPECT_THAT(info, HasSubstr("threading=OpenMP"));
}

TEST(Config, BlasRunsKernelsForTheCpusVectorUnits) {
  // OpenBLAS falls back to its SSE3 "Prescott" kernels on CPUs newer than itself (Debian's
  // 0.3.21 on Sapphire Rapids): 4-8x slower GEMMs. Lamina picks the kernels by CPU feature.
  // (Lamina sets OPENBLAS_CORETYPE to its choice, for child processes; any other value is the user's.)
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  if (forced && std::string(forced) != "SkylakeX" && std::string(forced) != "Haswell")
    GTEST_SKIP() << "OPENBLAS_CORETYPE=" << forced << " is set by the user";
  std::string info = lm::blas_info();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) EXPECT_THAT(info, Not(HasSubstr("core=Prescott")));
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    EXPECT_THAT(info, Not(HasSubstr("core=Haswell")));  // the AVX-512 kernels where there is AVX-512
}

TEST(Config, ThreadCountIsHonouredByTheBlas) {
  int before = lm::num_threads();
  EXPECT_GE(before, 1);
  lm::set_num_threads(1);
  EXPECT_EQ(lm::num_threads(), 1);
  EXPECT_THAT(lm::blas_info(), HasSubstr("threads=1"));
  lm::set_num_threads(before);
  EXPECT_LAMINA_ERROR(lm::set_num_threads(0), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("n >= 1")); });
}

TEST(Variable, AssignKeepsShapeAndDtype) {
  lm::Variable v("dense/kernel", lm::zeros({2, 3}));
  EXPECT_EQ(v.name(), "dense/kernel");
  EXPECT_TRUE(v.trainable());
  v.assign(lm::ones({2, 3}));
  EXPECT_VALUES(v.value(), {1, 1, 1, 1, 1, 1});
  EXPECT_LAMINA_ERROR(v.assign(lm::ones({3, 2})), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("dense/kernel")); });
  EXPECT_LAMINA_ERROR(v.assign(lm::ones({2, 3}, lm::Float64)), lm::DTypeError, {});
  EXPECT_LAMINA_ERROR(lm::Variable("x", lm::placeholder({lm::Shape{2}, lm::Float32, -1})), lm::ValueError, {});
  lm::Variable copy = v;
  EXPECT_TRUE(copy == v);
}
