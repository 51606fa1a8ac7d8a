#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

TEST(Config, LinksOpenBlasWithOpenMP) {
  // Not the netlib reference BLAS: that runs 20-30x slower (see README).
  std::string info = lm::blas_info();
  EXPECT_THAT(info, HasSubstr("OpenBLAS"));
  EXPECT_THAT(info, HasSubstr("threading=OpenMP"));
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
