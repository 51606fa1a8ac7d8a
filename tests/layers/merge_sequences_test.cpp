// Merge layers on sequences (issue 8, bug 1): (B, T, F) and (B, T, H, F) inputs whose dims
// all differ, lower-rank inputs broadcasting after the batch axis, masks, symbolic specs.
// Expected values come from plain index loops written here, not from the layers.
#include <cmath>
#include <functional>

#include "lamina/layers/merge.hpp"
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

// Distinct, irregular values so that a wrong index shows up (and max/min pick from both).
lm::Tensor values(const lm::Shape& s, double phase) {
  std::vector<double> v(static_cast<std::size_t>(s.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::round(10.0 * std::sin(0.7 * static_cast<double>(i) + phase));
  return lm::tensor(v, s, lm::Float32);
}

std::vector<std::int64_t> unravel(std::int64_t flat, const lm::Shape& s) {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(s.rank()));
  for (std::int64_t d = s.rank() - 1; d >= 0; --d) {
    idx[static_cast<std::size_t>(d)] = flat % s[d];
    flat /= s[d];
  }
  return idx;
}

// The element of `x` that output index `out` reads under Keras's rule: batch axis first,
// the other axes of x aligned with the last axes of the output, size-1 axes broadcast.
double at(const lm::Tensor& x, const std::vector<std::int64_t>& out) {
  const lm::Shape& s = x.shape();
  const std::int64_t shift = static_cast<std::int64_t>(out.size()) - s.rank();
  std::int64_t flat = 0;
  for (std::int64_t d = 0; d < s.rank(); ++d) {
    const std::int64_t o = d == 0 ? out[0] : out[static_cast<std::size_t>(d + shift)];
    flat = flat * s[d] + (s[d] == 1 ? 0 : o);
  }
  return x.to_vector<double>()[static_cast<std::size_t>(flat)];
}

using Combine = std::function<double(const std::vector<double>&)>;

std::vector<double> expected(const lm::TensorList& xs, const lm::Shape& out, const Combine& f) {
  std::vector<double> r;
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    auto idx = unravel(i, out);
    std::vector<double> operands;
    for (const auto& x : xs) operands.push_back(at(x, idx));
    r.push_back(f(operands));
  }
  return r;
}

struct Case {
  const char* name;
  std::function<lm::Tensor(const lm::TensorList&)> layer;
  Combine combine;
  bool exactly_two = false;
};

std::vector<Case> cases() {
  auto sum = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s;
  };
  return {
      {"Add", [](const lm::TensorList& xs) { return Add()(xs); }, sum},
      {"Subtract", [](const lm::TensorList& xs) { return Subtract()(xs); },
       [](const std::vector<double>& v) { return v[0] - v[1]; }, true},
      {"Multiply", [](const lm::TensorList& xs) { return Multiply()(xs); },
       [](const std::vector<double>& v) {
         double p = 1;
         for (double x : v) p *= x;
         return p;
       }},
      {"Average", [](const lm::TensorList& xs) { return Average()(xs); },
       [sum](const std::vector<double>& v) { return sum(v) / static_cast<double>(v.size()); }},
      {"Maximum", [](const lm::TensorList& xs) { return Maximum()(xs); },
       [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }},
      {"Minimum", [](const lm::TensorList& xs) { return Minimum()(xs); },
       [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }},
  };
}

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

}  // namespace

TEST(MergeSequences, EveryElementwiseMergeOnBTFAndBTHFWithDistinctDims) {
  // Before the fix: ShapeError "axis -1 is 4 in one and 3 in another" for (2, 4, 3).
  for (const lm::Shape& shape : {lm::Shape{2, 4, 3}, lm::Shape{2, 3, 4, 5}}) {
    for (const auto& c : cases()) {
      SCOPED_TRACE(std::string(c.name) + " on " + shape.str());
      lm::TensorList xs{values(shape, 0.0), values(shape, 1.3)};
      if (!c.exactly_two) xs.push_back(values(shape, 2.9));
      auto y = c.layer(xs);
      EXPECT_SHAPE(y, shape);
      EXPECT_VALUES(y, expected(xs, shape, c.combine), 1e-5);
      EXPECT_FALSE(y.has_mask());
    }
  }
}

TEST(MergeSequences, LowerRankAndSizeOneInputsBroadcast) {
  struct Shapes {
    lm::Shape big, small;
  };
  // (B, F) against (B, T, F); (B, H, F) and (B, 1, F) against (B, T, H, F); size-1 axes.
  for (const auto& [big, small] :
       {Shapes{{2, 4, 3}, {2, 3}}, Shapes{{2, 4, 3}, {2, 1, 3}}, Shapes{{2, 4, 3}, {2, 4, 1}},
        Shapes{{2, 3, 4, 5}, {2, 4, 5}}, Shapes{{2, 3, 4, 5}, {2, 5}}, Shapes{{2, 3, 4, 5}, {2, 1, 4, 1}}}) {
    for (const auto& c : cases()) {
      SCOPED_TRACE(std::string(c.name) + ": " + big.str() + " with " + small.str());
      lm::TensorList xs{values(big, 0.4), values(small, 2.0)};
      EXPECT_VALUES(c.layer(xs), expected(xs, big, c.combine), 1e-5);
      lm::TensorList swapped{xs[1], xs[0]};  // the lower-rank input first
      auto y = c.layer(swapped);
      EXPECT_SHAPE(y, big);
      EXPECT_VALUES(y, expected(swapped, big, c.combine), 1e-5);
    }
  }
}

TEST(MergeSequences, MasksAreAndedOnSequencesAndBroadcastInputs) {
  const lm::Shape shape{2, 4, 3};
  const std::vector<bool> m1{true, true, true, false, true, true, false, false};
  const std::vector<bool> m2{true, false, true, true, true, true, true, false};
  const std::vector<bool> both{true, false, true, false, true, true, false, false};
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    lm::TensorList xs{values(shape, 0.0).with_mask(bools(m1, {2, 4})), values(shape, 1.1).with_mask(bools(m2, {2, 4}))};
    auto y = c.layer(xs);
    EXPECT_VALUES(y, expected(xs, shape, c.combine), 1e-5);
    EXPECT_MASK(y, lm::Shape({2, 4}), both);
    // A (B, F) input with a (B,) mask: row 1 invalid, so every step of row 1 is.
    lm::TensorList bc{values(shape, 0.0).with_mask(bools(m1, {2, 4})),
                      values({2, 3}, 0.5).with_mask(bools({true, false}, {2}))};
    auto z = c.layer(bc);
    EXPECT_VALUES(z, expected(bc, shape, c.combine), 1e-5);
    EXPECT_MASK(z, lm::Shape({2, 4}), {true, true, true, false, false, false, false, false});
    // (B, T, H, F) with a (B, T) mask.
    const lm::Shape s4{2, 3, 4, 5};
    lm::TensorList xs4{values(s4, 0.2).with_mask(bools({true, true, false, true, false, false}, {2, 3})),
                       values(s4, 0.9)};
    auto w = c.layer(xs4);
    EXPECT_VALUES(w, expected(xs4, s4, c.combine), 1e-5);
    EXPECT_MASK(w, lm::Shape({2, 3}), {true, true, false, true, false, false});
  }
}

TEST(MergeSequences, SymbolicSpecs) {
  auto seq = lm::Input({4, 3});
  auto masked = lm::Input({4, 3}).with_mask(lm::Input({4}, lm::Bool));
  auto deep = lm::Input({lm::None, 4, 5});
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.layer({seq, masked}).spec().str(), "float32 (None, 4, 3) mask (None, 4)");
    EXPECT_EQ(c.layer({lm::Input({3}), seq}).spec().str(), "float32 (None, 4, 3)");
    EXPECT_EQ(c.layer({seq, lm::Input({4, 1})}).spec().str(), "float32 (None, 4, 3)");
    EXPECT_EQ(c.layer({deep, lm::Input({4, 5})}).spec().str(), "float32 (None, None, 4, 5)");
    EXPECT_EQ(c.layer({lm::Input({5}), deep}).spec().str(), "float32 (None, None, 4, 5)");
    EXPECT_LAMINA_ERROR(c.layer({seq, lm::Input({3, 4})}), lm::ShapeError, {
      EXPECT_THAT(msg, HasSubstr("(None, 4, 3), (None, 3, 4)"));
      EXPECT_THAT(msg, HasSubstr("hint:"));
    });
    EXPECT_LAMINA_ERROR(c.layer({deep, lm::Input({3, 5})}), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("axis 2")); });
  }
}

TEST(MergeSequences, ConcatenateOnEveryAxisWithDistinctDims) {
  // Along features of (B, T, F): (2, 4, 3) + (2, 4, 5).
  auto a = values({2, 4, 3}, 0.0), b = values({2, 4, 5}, 1.0);
  auto y = Concatenate()({a, b});
  EXPECT_SHAPE(y, lm::Shape({2, 4, 8}));
  std::vector<double> want;
  auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  for (int i = 0; i < 8; ++i) {  // (b, t) rows
    for (int f = 0; f < 3; ++f) want.push_back(av[static_cast<std::size_t>(i * 3 + f)]);
    for (int f = 0; f < 5; ++f) want.push_back(bv[static_cast<std::size_t>(i * 5 + f)]);
  }
  EXPECT_VALUES(y, want);
  // Along H of (B, T, H, F) with masks: (2, 3, 4, 5) + (2, 3, 1, 5), time masks ANDed.
  auto c4 = values({2, 3, 4, 5}, 0.3).with_mask(bools({true, true, false, true, true, true}, {2, 3}));
  auto d4 = values({2, 3, 1, 5}, 0.8).with_mask(bools({true, false, true, true, true, false}, {2, 3}));
  auto z = Concatenate(2)({c4, d4});
  EXPECT_SHAPE(z, lm::Shape({2, 3, 5, 5}));
  auto cv = c4.to_vector<double>(), dv = d4.to_vector<double>(), zv = z.to_vector<double>();
  for (int r = 0; r < 6; ++r)
    for (int h = 0; h < 5; ++h)
      for (int f = 0; f < 5; ++f)
        EXPECT_EQ(zv[static_cast<std::size_t>((r * 5 + h) * 5 + f)],
                  h < 4 ? cv[static_cast<std::size_t>((r * 4 + h) * 5 + f)] : dv[static_cast<std::size_t>(r * 5 + f)]);
  EXPECT_MASK(z, lm::Shape({2, 3}), {true, false, false, true, true, false});
  // Along time, symbolic.
  EXPECT_EQ(Concatenate(1)({lm::Input({4, 3}), lm::Input({2, 3})}).spec().str(), "float32 (None, 6, 3)");
  EXPECT_EQ(Concatenate(2)({lm::Input({3, 4, 5}), lm::Input({3, 1, 5})}).spec().str(), "float32 (None, 3, 5, 5)");
}

TEST(MergeSequences, GradientsOnDistinctDims) {
  auto a = lm::cast(values({2, 4, 3}, 0.1), lm::Float64) * 0.1;
  auto b = lm::cast(values({2, 3}, 1.7), lm::Float64) * 0.1 + 0.05;  // broadcast over time
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return c.layer(in); }, {a, b});
  }
}
