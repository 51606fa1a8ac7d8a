// The dtype lattice Bool < Int32 < Int64 < Float32 < Float64 and weak scalars.
#include "test_util.hpp"

namespace lm = lamina;

TEST(DType, NamesAndSizes) {
  EXPECT_EQ(lm::dtype_name(lm::Bool), "bool");
  EXPECT_EQ(lm::dtype_name(lm::Int32), "int32");
  EXPECT_EQ(lm::dtype_name(lm::Int64), "int64");
  EXPECT_EQ(lm::dtype_name(lm::Float32), "float32");
  EXPECT_EQ(lm::dtype_name(lm::Float64), "float64");
  EXPECT_EQ(lm::itemsize(lm::Bool), 1u);
  EXPECT_EQ(lm::itemsize(lm::Int32), 4u);
  EXPECT_EQ(lm::itemsize(lm::Int64), 8u);
  EXPECT_EQ(lm::itemsize(lm::Float32), 4u);
  EXPECT_EQ(lm::itemsize(lm::Float64), 8u);
}

TEST(DType, LatticeIsATotalOrderJoin) {
  // Position on the lattice; the join of two is the higher one.
  const lm::DType order[] = {lm::Bool, lm::Int32, lm::Int64, lm::Float32, lm::Float64};
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) EXPECT_EQ(lm::result_type(order[i], order[j]), order[std::max(i, j)]) << i << "," << j;
}

TEST(DType, WeakScalarsAdoptTheTensorKindUnlessHigher) {
  using K = lm::ScalarKind;
  // rows: tensor dtype; columns: bool literal, int literal, float literal
  struct Row {
    lm::DType t, b, i, f;
  };
  const Row table[] = {
      {lm::Bool, lm::Bool, lm::Int32, lm::Float32},         {lm::Int32, lm::Int32, lm::Int32, lm::Float32},
      {lm::Int64, lm::Int64, lm::Int64, lm::Float32},       {lm::Float32, lm::Float32, lm::Float32, lm::Float32},
      {lm::Float64, lm::Float64, lm::Float64, lm::Float64},
  };
  for (const auto& r : table) {
    EXPECT_EQ(lm::result_type(r.t, K::Bool), r.b) << lm::dtype_name(r.t);
    EXPECT_EQ(lm::result_type(r.t, K::Int), r.i) << lm::dtype_name(r.t);
    EXPECT_EQ(lm::result_type(r.t, K::Float), r.f) << lm::dtype_name(r.t);
  }
}

TEST(DType, ScalarKindsFromCppLiterals) {
  EXPECT_EQ(lm::Scalar(true).kind(), lm::ScalarKind::Bool);
  EXPECT_EQ(lm::Scalar(3).kind(), lm::ScalarKind::Int);
  EXPECT_EQ(lm::Scalar(3L).kind(), lm::ScalarKind::Int);
  EXPECT_EQ(lm::Scalar(2.5f).kind(), lm::ScalarKind::Float);
  EXPECT_EQ(lm::Scalar(2.5).kind(), lm::ScalarKind::Float);
  EXPECT_EQ(lm::Scalar(2.5).as_double(), 2.5);
  EXPECT_EQ(lm::Scalar(-7).as_int(), -7);
}
