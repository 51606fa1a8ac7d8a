// softmax and log_softmax: values (by hand and against a naive double-precision reference
// written here), stability, axes, masks, gradients, symbolic specs, errors, zero-size.
#include <gmock/gmock.h>

#include <cmath>
#include <limits>

#include "elementwise_test_helpers.hpp"

namespace lm = lamina;
using lm::testing::randn;
using ::testing::HasSubstr;

namespace {

// Naive reference: softmax (or log_softmax) of `x` (row-major `dims`) along `axis`, with
// `valid(flat index)` selecting the entries that take part; others get 0.
std::vector<double> reference(const std::vector<double>& x, const std::vector<std::int64_t>& dims, std::int64_t axis,
                              bool log, const std::function<bool(std::int64_t)>& valid) {
  std::int64_t outer = 1, n = dims[static_cast<std::size_t>(axis)], inner = 1;
  for (std::int64_t i = 0; i < axis; ++i) outer *= dims[static_cast<std::size_t>(i)];
  for (std::size_t i = static_cast<std::size_t>(axis) + 1; i < dims.size(); ++i) inner *= dims[i];
  std::vector<double> y(x.size(), 0.0);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      auto at = [&](std::int64_t k) { return (o * n + k) * inner + i; };
      double mx = -INFINITY;
      for (std::int64_t k = 0; k < n; ++k)
        if (valid(at(k))) mx = std::max(mx, x[static_cast<std::size_t>(at(k))]);
      double s = 0;
      for (std::int64_t k = 0; k < n; ++k)
        if (valid(at(k))) s += std::exp(x[static_cast<std::size_t>(at(k))] - mx);
      for (std::int64_t k = 0; k < n; ++k) {
        if (!valid(at(k))) continue;
        double z = x[static_cast<std::size_t>(at(k))] - mx;
        y[static_cast<std::size_t>(at(k))] = log ? z - std::log(s) : std::exp(z) / s;
      }
    }
  return y;
}

bool all_valid(std::int64_t) { return true; }

// Validity of flat element i of a tensor of `dims` under a leading mask `m` (row-major).
std::function<bool(std::int64_t)> masked_by(const lm::Tensor& m, const std::vector<std::int64_t>& dims) {
  std::int64_t per_entry = 1;
  for (std::size_t i = static_cast<std::size_t>(m.rank()); i < dims.size(); ++i) per_entry *= dims[i];
  auto v = m.to_vector<bool>();
  return [v, per_entry](std::int64_t i) { return v[static_cast<std::size_t>(i / per_entry)]; };
}

}  // namespace

TEST(Softmax, ValuesByHand) {
  auto x = lm::tensor({1.f, 2.f, 3.f});
  // s = e + e^2 + e^3; softmax = e^k / s
  double e1 = std::exp(1.0), e2 = std::exp(2.0), e3 = std::exp(3.0), s = e1 + e2 + e3;
  auto y = lm::softmax(x);
  EXPECT_EQ(y.dtype(), lm::Float32);
  EXPECT_VALUES(y, {e1 / s, e2 / s, e3 / s}, 1e-6);
  // log_softmax = k - ln s
  EXPECT_VALUES(lm::log_softmax(x), {1 - std::log(s), 2 - std::log(s), 3 - std::log(s)}, 1e-6);
}

TEST(Softmax, StableForLargeLogits) {
  // Shifting by a constant changes nothing: [1000, 1001, 1002] is [0, 1, 2].
  double s = 1 + std::exp(1.0) + std::exp(2.0);
  auto y = lm::softmax(lm::tensor({1000.f, 1001.f, 1002.f}));
  EXPECT_VALUES(y, {1 / s, std::exp(1.0) / s, std::exp(2.0) / s}, 1e-6);
  EXPECT_VALUES(lm::log_softmax(lm::tensor({1000.f, 1001.f, 1002.f})), {-std::log(s), 1 - std::log(s), 2 - std::log(s)},
                1e-5);
  // [-1000, 0]: e^-1000 underflows; no NaN, and the log stays finite: -1000 - ln(1 + e^-1000).
  EXPECT_VALUES(lm::softmax(lm::tensor({-1000.0, 0.0})), {0, 1});
  EXPECT_VALUES(lm::log_softmax(lm::tensor({-1000.0, 0.0})), {-1000, 0});
  EXPECT_VALUES(lm::softmax(lm::tensor({-1000.f, 1000.f})), {0, 1});
}

TEST(Softmax, Dtypes) {
  EXPECT_EQ(lm::softmax(lm::tensor({1, 2})).dtype(), lm::Float32);  // integers compute in Float32
  EXPECT_EQ(lm::softmax(lm::tensor({true, false})).dtype(), lm::Float32);
  EXPECT_EQ(lm::log_softmax(lm::tensor({1, 2}, lm::Int64)).dtype(), lm::Float32);
  EXPECT_EQ(lm::softmax(lm::tensor({1.0, 2.0})).dtype(), lm::Float64);
  // [1, 1] -> [1/2, 1/2]
  EXPECT_VALUES(lm::softmax(lm::tensor({3, 3})), {0.5, 0.5});
}

TEST(Softmax, EveryAxisMatchesReference) {
  // Axes that are last (contiguous rows), middle and first (strided), incl. size-1 axes, and
  // an inner extent beyond one kernel tile (300 columns).
  std::vector<std::vector<std::int64_t>> shapes = {{2, 3, 4}, {3, 1, 2}, {1, 5}, {4, 1}, {2, 3, 300}, {7}};
  std::uint64_t seed = 40;
  for (const auto& dims : shapes) {
    auto x = randn(lm::Shape(dims), ++seed) * 3;
    auto xv = x.to_vector<double>();
    for (std::int64_t axis = 0; axis < static_cast<std::int64_t>(dims.size()); ++axis) {
      for (bool log : {false, true}) {
        auto y = log ? lm::log_softmax(x, axis) : lm::softmax(x, axis);
        EXPECT_SHAPE(y, lm::Shape(dims));
        EXPECT_VALUES(y, reference(xv, dims, axis, log, all_valid), 1e-12)
            << (log ? "log_softmax" : "softmax") << " axis " << axis << " of " << lm::Shape(dims).str();
      }
    }
    // Negative axes count from the end.
    EXPECT_VALUES(lm::softmax(x, -1), lm::softmax(x, static_cast<std::int64_t>(dims.size()) - 1).to_vector<double>());
  }
  // Float32 follows the same reference within float precision.
  auto xf = lm::cast(randn({3, 70, 5}, 7), lm::Float32);
  EXPECT_VALUES(lm::softmax(xf, 1), reference(xf.to_vector<double>(), {3, 70, 5}, 1, false, all_valid), 1e-6);
  EXPECT_VALUES(lm::log_softmax(xf, 2), reference(xf.to_vector<double>(), {3, 70, 5}, 2, true, all_valid), 1e-5);
}

TEST(Softmax, LargeInputsSplitAcrossThreads) {
  // Big enough for the kernels to split rows / tiles across threads.
  auto a = randn({40, 1000}, 31);
  EXPECT_VALUES(lm::softmax(a), reference(a.to_vector<double>(), {40, 1000}, 1, false, all_valid), 1e-12);
  auto b = randn({2, 100, 300}, 32);
  auto mb = lm::cast(lm::random_uniform({2, 100}, {.seed = 33}) > 0.3, lm::Bool);
  EXPECT_VALUES(lm::log_softmax(b.with_mask(mb), 1),
                reference(b.to_vector<double>(), {2, 100, 300}, 1, true, masked_by(mb, {2, 100, 300})), 1e-12);
}

TEST(Softmax, SizeOneAxisGivesOnes) {
  auto x = lm::tensor({{2.f}, {-7.f}});  // (2, 1), softmax over the size-1 axis
  EXPECT_VALUES(lm::softmax(x, -1), {1, 1});
  EXPECT_VALUES(lm::log_softmax(x, -1), {0, 0});
}

TEST(Softmax, MaskedAxisExcludesMaskedEntries) {
  auto x = lm::tensor({{1.f, 2.f, 50.f, -3.f}, {4.f, 5.f, 6.f, 7.f}});
  auto m = lm::tensor({{true, true, false, false}, {false, false, false, false}});
  auto y = lm::softmax(x.with_mask(m));
  // Row 0: softmax over [1, 2] only = [1, e] / (1 + e); masked entries 0. Row 1: all masked -> 0.
  double e = std::exp(1.0);
  EXPECT_VALUES(y, {1 / (1 + e), e / (1 + e), 0, 0, 0, 0, 0, 0}, 1e-6);
  EXPECT_MASK(y, lm::Shape({2, 4}), {true, true, false, false, false, false, false, false});
  auto ly = lm::log_softmax(x.with_mask(m));
  // log: 1 - ln(e + e^2) = -ln(1 + e); 2 - ln(e + e^2) = 1 - ln(1 + e); masked 0
  EXPECT_VALUES(ly, {-std::log(1 + e), 1 - std::log(1 + e), 0, 0, 0, 0, 0, 0}, 1e-6);
  EXPECT_MASK(ly, lm::Shape({2, 4}), {true, true, false, false, false, false, false, false});
}

TEST(Softmax, MaskedAxisWithTrailingFeatures) {
  // (2, 4, 3) with mask (2, 4), softmax over axis 1 (the masked time axis): each feature
  // column is normalised over its valid steps. Also axis 0 (the masked batch axis).
  auto m = lm::testing::mask_2x4();
  auto x = randn({2, 4, 3}, 5) * 2;
  auto valid = masked_by(m, {2, 4, 3});
  for (std::int64_t axis : {0, 1}) {
    for (bool log : {false, true}) {
      auto xm = x.with_mask(m);
      auto y = log ? lm::log_softmax(xm, axis) : lm::softmax(xm, axis);
      EXPECT_VALUES(y, reference(x.to_vector<double>(), {2, 4, 3}, axis, log, valid), 1e-12)
          << (log ? "log_softmax" : "softmax") << " axis " << axis;
      EXPECT_MASK(y, lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
    }
  }
  // A (2, 4) mask on (2, 4, 300) over axis 1: the strided path across several tiles.
  auto big = randn({2, 4, 300}, 6);
  EXPECT_VALUES(lm::softmax(big.with_mask(m), 1),
                reference(big.to_vector<double>(), {2, 4, 300}, 1, false, masked_by(m, {2, 4, 300})), 1e-12);
  // A full (2, 4, 3) mask over the last axis: entry-level exclusion.
  auto full_mask = lm::tensor(std::vector<bool>{1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1},
                              lm::Shape{2, 4, 3});
  EXPECT_VALUES(lm::log_softmax(x.with_mask(full_mask), -1),
                reference(x.to_vector<double>(), {2, 4, 3}, 2, true, masked_by(full_mask, {2, 4, 3})), 1e-12);
}

TEST(Softmax, FullyMaskedRowsAreZerosNeverNaN) {
  auto x = lm::tensor({{1e30f, -1e30f, 0.f}, {1.f, 2.f, 3.f}});
  auto m = lm::tensor({{false, false, false}, {false, true, false}});
  EXPECT_VALUES(lm::softmax(x.with_mask(m)), {0, 0, 0, 0, 1, 0});
  EXPECT_VALUES(lm::log_softmax(x.with_mask(m)), {0, 0, 0, 0, 0, 0});
  // Along a strided axis too: (3, 2) over axis 0 with column 1 fully masked.
  auto y = lm::ones({3, 2}).with_mask(lm::tensor({{true, false}, {true, false}, {true, false}}));
  EXPECT_VALUES(lm::softmax(y, 0), {1.0 / 3, 0, 1.0 / 3, 0, 1.0 / 3, 0});
}

TEST(Softmax, UnmaskedAxisPassesTheMaskThrough) {
  // Mask (2, 4) on (2, 4, 3); softmax over the feature axis computes every row normally.
  auto m = lm::testing::mask_2x4();
  auto x = randn({2, 4, 3}, 9);
  for (bool log : {false, true}) {
    auto y = log ? lm::log_softmax(x.with_mask(m), -1) : lm::softmax(x.with_mask(m), -1);
    EXPECT_VALUES(y, reference(x.to_vector<double>(), {2, 4, 3}, 2, log, all_valid), 1e-12);
    EXPECT_MASK(y, lm::Shape({2, 4}), {true, true, false, false, true, true, true, false});
  }
}

TEST(Softmax, GradientIsExactlyZeroAtMaskedEntries) {
  auto m = lm::tensor({{true, false, true, false}, {false, false, false, false}});
  auto x = randn({2, 4}, 11).with_mask(m);
  auto r = randn({2, 4}, 12);  // arbitrary upstream gradient
  for (bool log : {false, true}) {
    lm::GradientTape tape;
    tape.watch(x);
    auto y = log ? lm::log_softmax(x) : lm::softmax(x);
    auto g = tape.gradient(lm::sum(y.without_mask() * r), x);
    ASSERT_TRUE(g.has_value());
    auto gv = g->to_vector<double>();
    auto mv = m.to_vector<bool>();
    for (std::size_t i = 0; i < gv.size(); ++i) {
      EXPECT_FALSE(std::isnan(gv[i]));
      if (!mv[i])
        EXPECT_EQ(gv[i], 0.0) << (log ? "log_softmax" : "softmax") << " entry " << i;
      else
        EXPECT_NE(gv[i], 0.0);
    }
  }
}

TEST(Softmax, GradientByHand) {
  // softmax of [0, ln 3] is [1/4, 3/4]; with upstream g = [1, 0]:
  // dx = y * (g - sum(g y)) = [1/4 (1 - 1/4), 3/4 (0 - 1/4)] = [3/16, -3/16].
  auto x = lm::tensor({0.0, std::log(3.0)});
  {
    lm::GradientTape tape;
    tape.watch(x);
    auto y = lm::softmax(x);
    auto g = tape.gradient(y, x, {.output_gradient = lm::tensor({1.0, 0.0})});
    EXPECT_VALUES(*g, {3.0 / 16, -3.0 / 16}, 1e-12);
  }
  {
    // log_softmax with g = [1, 0]: dx = g - softmax * sum(g) = [1 - 1/4, -3/4].
    lm::GradientTape tape;
    tape.watch(x);
    auto g = tape.gradient(lm::log_softmax(x), x, {.output_gradient = lm::tensor({1.0, 0.0})});
    EXPECT_VALUES(*g, {0.75, -0.75}, 1e-12);
  }
}

TEST(Softmax, Gradcheck) {
  for (auto f : {+[](const lm::TensorList& in) { return lm::softmax(in[0], -1); },
                 +[](const lm::TensorList& in) { return lm::log_softmax(in[0], -1); }}) {
    EXPECT_GRADCHECK(f, {randn({3, 5}, 21)});
    EXPECT_GRADCHECK(f, {randn({4, 1}, 22)});  // size-1 softmax axis
    EXPECT_GRADCHECK(f, {randn({1, 6}, 23)});
  }
  for (auto f : {+[](const lm::TensorList& in) { return lm::softmax(in[0], 1); },
                 +[](const lm::TensorList& in) { return lm::log_softmax(in[0], 1); },
                 +[](const lm::TensorList& in) { return lm::softmax(in[0], 0); },
                 +[](const lm::TensorList& in) { return lm::log_softmax(in[0], 0); }}) {
    EXPECT_GRADCHECK(f, {randn({2, 3, 4}, 24)});
    EXPECT_GRADCHECK(f, {randn({1, 3, 2}, 25)});
    // Masked along axes 0 and 1, incl. a fully masked row.
    auto m = lm::tensor({{true, true, false}, {false, false, false}});
    EXPECT_GRADCHECK(f, {randn({2, 3, 2}, 26).with_mask(m)});
  }
  // Composed with other ops and broadcasting.
  EXPECT_GRADCHECK([](const lm::TensorList& in) { return lm::softmax(in[0] * in[1], -1); },
                   {randn({3, 4}, 27), randn({4}, 28)});
}

TEST(Softmax, SecondOrderGradient) {
  // d/dx_j of sum_i (d y_0 / d x_i) = d/dx_j [y_0 (1 - y_0) - y_0 (sum_{i!=0} y_i)] = d/dx_j 0 = 0,
  // since sum_i dy_0/dx_i = 0 identically (softmax is shift invariant).
  auto x = lm::tensor({0.3, -1.2, 0.8});
  lm::GradientTape outer;
  outer.watch(x);
  lm::Tensor g;
  {
    lm::GradientTape inner;
    inner.watch(x);
    g = *inner.gradient(lm::softmax(x), x, {.output_gradient = lm::tensor({1.0, 0.0, 0.0})});
  }
  auto h = outer.gradient(lm::sum(g), x);
  ASSERT_TRUE(h.has_value());
  EXPECT_VALUES(*h, {0, 0, 0}, 1e-12);
}

TEST(Softmax, SymbolicSpec) {
  auto s = lm::placeholder({lm::Shape{lm::None, 4}, lm::Float32, 1});
  EXPECT_EQ(lm::softmax(s).spec().str(), "float32 (None, 4) mask (None,)");
  EXPECT_EQ(lm::log_softmax(s, 0).spec().str(), "float32 (None, 4) mask (None,)");
  auto i = lm::placeholder({lm::Shape{lm::None, 10, 4}, lm::Int32, 2});
  EXPECT_EQ(lm::softmax(i, 1).spec().str(), "float32 (None, 10, 4) mask (None, 10)");
  auto y = lm::softmax(s);
  auto data = lm::tensor({{1.f, 2.f, 3.f, 4.f}}).with_mask(lm::tensor({{true, true, false, true}}));
  auto replayed = y.node()->replay({data})[0];
  EXPECT_EQ(replayed.spec().str(), "float32 (1, 4) mask (1, 4)");
  EXPECT_VALUES(replayed, lm::softmax(data).to_vector<double>());
}

TEST(Softmax, AxisOutOfRangeIsAShapeError) {
  EXPECT_LAMINA_ERROR(lm::softmax(lm::ones({2, 3}), 2), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("softmax"));
    EXPECT_THAT(msg, HasSubstr("2"));
  });
  EXPECT_LAMINA_ERROR(lm::log_softmax(lm::ones({2, 3}), -3), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("log_softmax")); });
  EXPECT_LAMINA_ERROR(lm::softmax(lm::scalar(1.f)), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("softmax")); });
  EXPECT_LAMINA_ERROR(lm::softmax(lm::placeholder({lm::Shape{lm::None}, lm::Float32}), 1), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("softmax")); });
  EXPECT_LAMINA_ERROR(lm::softmax(lm::Tensor()), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("softmax")); });
}

TEST(Softmax, ZeroSizeTensors) {
  for (auto shape : {lm::Shape{0, 3}, lm::Shape{3, 0}, lm::Shape{2, 0, 3}}) {
    for (std::int64_t axis : {0, -1}) {
      auto y = lm::softmax(lm::zeros(shape), axis);
      EXPECT_SHAPE(y, shape);
      EXPECT_SHAPE(lm::log_softmax(lm::zeros(shape), axis), shape);
    }
  }
  // Masked and zero-size, with a gradient.
  auto x = lm::zeros({0, 4}).with_mask(lm::zeros({0, 4}, lm::Bool));
  lm::GradientTape tape;
  tape.watch(x);
  auto g = tape.gradient(lm::sum(lm::log_softmax(x)), x);
  ASSERT_TRUE(g.has_value());
  EXPECT_SHAPE(*g, lm::Shape({0, 4}));
}
