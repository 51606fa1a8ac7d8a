// Tensor creation, values, masks, symbolic tensors, printing.
#include <sstream>

#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

TEST(Tensor, FromNestedListsTakesTheCppType) {
  auto f = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  EXPECT_EQ(f.dtype(), lm::Float32);
  EXPECT_SHAPE(f, lm::Shape({2, 3}));
  EXPECT_VALUES(f, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(lm::tensor({1, 2}).dtype(), lm::Int32);
  EXPECT_EQ(lm::tensor({1L, 2L}).dtype(), lm::Int64);
  EXPECT_EQ(lm::tensor({1.0, 2.0}).dtype(), lm::Float64);
  EXPECT_EQ(lm::tensor({true, false}).dtype(), lm::Bool);
  auto cube = lm::tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}, lm::Float64);
  EXPECT_EQ(cube.dtype(), lm::Float64);
  EXPECT_SHAPE(cube, lm::Shape({2, 2, 2}));
  EXPECT_EQ(cube.to_vector<int>()[7], 8);
}

TEST(Tensor, RaggedOrMismatchedValuesAreValueErrors) {
  EXPECT_LAMINA_ERROR(lm::tensor({{1, 2}, {3}}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("rectangular")); });
  EXPECT_LAMINA_ERROR(lm::tensor(std::vector<float>{1, 2, 3}, lm::Shape{2, 2}), lm::ValueError, {});
}

TEST(Tensor, FilledAndRanges) {
  EXPECT_VALUES(lm::zeros({2, 2}), {0, 0, 0, 0});
  EXPECT_VALUES(lm::ones({3}, lm::Int64), {1, 1, 1});
  EXPECT_EQ(lm::ones({3}, lm::Int64).dtype(), lm::Int64);
  EXPECT_VALUES(lm::full({2}, 2.5), {2.5, 2.5});
  EXPECT_EQ(lm::full({2}, 2.5).dtype(), lm::Float32);  // a float literal's default dtype
  EXPECT_VALUES(lm::arange(5), {0, 1, 2, 3, 4});
  EXPECT_EQ(lm::arange(5).dtype(), lm::Int32);
  EXPECT_VALUES(lm::arange(1.0, 2.0, 0.25), {1, 1.25, 1.5, 1.75});
  EXPECT_VALUES(lm::arange(5, 0, -2), {5, 3, 1});
  EXPECT_EQ(lm::arange(3, 3).numel(), 0);
  EXPECT_LAMINA_ERROR(lm::arange(0, 5, 0), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("step")); });
  auto s = lm::scalar(7);
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.item<int>(), 7);
}

TEST(Tensor, NegativeDimensionsAreShapeErrors) {
  EXPECT_LAMINA_ERROR(lm::zeros({2, -3}), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("(2, -3)")); });
}

TEST(Tensor, ZeroSizeTensorsExist) {
  auto z = lm::zeros({0, 3});
  EXPECT_EQ(z.numel(), 0);
  EXPECT_TRUE(z.to_vector<float>().empty());
  EXPECT_EQ(z.str(), "tensor([[]], dtype=float32, shape=(0, 3))");
}

TEST(Tensor, StorageIs64ByteAligned) {
  for (std::int64_t n : {1, 3, 17, 1000, 100000}) {
    auto t = lm::zeros({n});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw_data()) % 64, 0u) << n;
  }
}

TEST(Tensor, ItemAndTruthiness) {
  EXPECT_EQ(lm::tensor({3.5f}).item<double>(), 3.5);
  EXPECT_TRUE(static_cast<bool>(lm::scalar(1)));
  EXPECT_FALSE(static_cast<bool>(lm::scalar(0.0)));
  EXPECT_LAMINA_ERROR(lm::tensor({1, 2}).item<int>(), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("2 elements")); });
  EXPECT_LAMINA_ERROR((void)static_cast<bool>(lm::tensor({1, 2})), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("ambiguous")); });
  EXPECT_LAMINA_ERROR(lm::tensor({1.f}).data<int>(), lm::DTypeError, { EXPECT_THAT(msg, HasSubstr("float32")); });
}

TEST(Tensor, UndefinedTensorIsAClearValueError) {
  lm::Tensor none;
  EXPECT_FALSE(none.defined());
  EXPECT_LAMINA_ERROR(none.shape(), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("None")); });
  EXPECT_EQ(none.str(), "Tensor(undefined)");
}

TEST(Tensor, MasksAttachAndDetach) {
  auto x = lm::ones({2, 3, 4});
  auto m = lm::tensor({{true, true, false}, {true, false, false}});
  auto xm = x.with_mask(m);
  EXPECT_TRUE(xm.has_mask());
  EXPECT_EQ(xm.mask_rank(), 2);
  EXPECT_MASK(xm, lm::Shape({2, 3}), {true, true, false, true, false, false});
  EXPECT_FALSE(x.has_mask());  // the original is unchanged: tensors are immutable
  EXPECT_FALSE(xm.without_mask().has_mask());
  EXPECT_EQ(xm.without_mask().raw_data(), x.raw_data());  // no copy
}

TEST(Tensor, MaskMustBeBoolWithPrefixShape) {
  auto x = lm::ones({2, 3, 4});
  EXPECT_LAMINA_ERROR(x.with_mask(lm::ones({2, 3})), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("with_mask"));
    EXPECT_THAT(msg, HasSubstr("float32"));
    EXPECT_THAT(msg, HasSubstr("mask != 0"));
  });
  EXPECT_LAMINA_ERROR(x.with_mask(lm::ones({3, 4}, lm::Bool)), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("(3, 4)"));
    EXPECT_THAT(msg, HasSubstr("prefix of (2, 3, 4)"));
  });
}

TEST(Tensor, ZerosLikeKeepsTheMask) {
  auto x = lm::ones({2, 3}).with_mask(lm::tensor({true, false}));
  auto z = lm::zeros_like(x);
  EXPECT_VALUES(z, {0, 0, 0, 0, 0, 0});
  EXPECT_MASK(z, lm::Shape({2}), {true, false});
  EXPECT_EQ(lm::ones_like(x, lm::Int64).dtype(), lm::Int64);
  EXPECT_MASK(lm::full_like(x, 3), lm::Shape({2}), {true, false});
}

TEST(Tensor, SymbolicTensorsHaveSpecsNotValues) {
  auto s = lm::placeholder({lm::Shape{lm::None, 10}, lm::Int32, 2});
  EXPECT_TRUE(s.is_symbolic());
  EXPECT_EQ(s.spec().str(), "int32 (None, 10) mask (None, 10)");
  EXPECT_TRUE(s.mask().is_symbolic());
  EXPECT_EQ(s.mask().spec().str(), "bool (None, 10)");
  EXPECT_LAMINA_ERROR(s.raw_data(), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("symbolic")); });
  EXPECT_LAMINA_ERROR(s.numel(), lm::ValueError, {});
  auto z = lm::zeros_like(s);
  EXPECT_EQ(z.spec().str(), "int32 (None, 10) mask (None, 10)");
  ASSERT_TRUE(z.node());
  EXPECT_EQ(z.node()->op, "full_like");
  // Replaying the node with a concrete input gives the concrete result.
  auto concrete = lm::ones({2, 10}, lm::Int32);
  auto replayed = z.node()->replay({concrete});
  EXPECT_VALUES(replayed[0], std::vector<double>(20, 0.0));
}

TEST(Tensor, PrintsValuesDtypeShapeAndMask) {
  std::ostringstream os;
  os << lm::tensor({{1.5f, 2.f}, {3.f, -4.f}}).with_mask(lm::tensor({true, false}));
  EXPECT_EQ(os.str(),
            "tensor([[1.5,  2.],\n"
            "        [ 3., -4.]], dtype=float32, shape=(2, 2),\n"
            "       mask=[ True, False])");
  EXPECT_EQ(lm::tensor({1, 2, 3}).str(), "tensor([1, 2, 3], dtype=int32, shape=(3,))");
  EXPECT_EQ(lm::scalar(2.5).str(), "tensor(2.5, dtype=float32, shape=())");
  EXPECT_EQ(lm::placeholder({lm::Shape{lm::None, 3}, lm::Float32, -1}).str(),
            "tensor(<symbolic>, dtype=float32, shape=(None, 3))");
}

TEST(Tensor, PrintingSummarisesBigTensors) {
  std::string s = lm::arange(2000).str();
  EXPECT_EQ(s, "tensor([   0,    1,    2, ..., 1997, 1998, 1999], dtype=int32, shape=(2000,))");
  std::string m = lm::zeros({100, 100}).str();
  EXPECT_THAT(m, HasSubstr("...,\n"));
  EXPECT_LT(m.size(), 400u);
}

TEST(Random, SeededAndDeterministic) {
  auto a = lm::random_normal({1000}, {.seed = 42});
  auto b = lm::random_normal({1000}, {.seed = 42});
  auto c = lm::random_normal({1000}, {.seed = 43});
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_NE(a.to_vector<float>(), c.to_vector<float>());
  lm::set_seed(7);
  auto d = lm::random_uniform({5});
  lm::set_seed(7);
  auto e = lm::random_uniform({5});
  EXPECT_EQ(d.to_vector<float>(), e.to_vector<float>());
}

TEST(Random, DistributionsHaveTheRightMoments) {
  auto n = lm::random_normal({200000}, {.mean = 2.0, .stddev = 3.0, .dtype = lm::Float64, .seed = 1});
  auto v = n.to_vector<double>();
  double mean = 0, var = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) var += (x - mean) * (x - mean);
  var /= static_cast<double>(v.size());
  // Standard errors: 3/sqrt(2e5) = 0.0067 for the mean; the variance is within ~1%.
  EXPECT_NEAR(mean, 2.0, 0.03);
  EXPECT_NEAR(var, 9.0, 0.15);
  auto u = lm::random_uniform({100000}, {.minval = -1, .maxval = 3, .seed = 2}).to_vector<float>();
  for (float x : u) ASSERT_TRUE(x >= -1.f && x < 3.f);
  auto ints = lm::random_uniform({1000}, {.minval = 0, .maxval = 5, .dtype = lm::Int32, .seed = 3}).to_vector<int>();
  std::vector<int> seen(5, 0);
  for (int x : ints) {
    ASSERT_TRUE(x >= 0 && x < 5);
    ++seen[static_cast<std::size_t>(x)];
  }
  for (int c : seen) EXPECT_GT(c, 150);
}

TEST(Random, BadArgumentsAreTypedErrors) {
  EXPECT_LAMINA_ERROR(lm::random_normal({2}, {.dtype = lm::Int32}), lm::DTypeError, {});
  EXPECT_LAMINA_ERROR(lm::random_uniform({2}, {.minval = 1, .maxval = 1}), lm::ValueError, {});
  EXPECT_LAMINA_ERROR(lm::random_normal({2}, {.stddev = -1}), lm::ValueError, {});
}
