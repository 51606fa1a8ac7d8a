// Merge layers: values, mask AND (and mask concatenation along time), Keras's rank rule,
// gradients, symbolic specs and errors. Reference values are worked out by hand.
#include "lamina/layers/merge.hpp"

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

// Two (2, 2, 2) sequences with (2, 2) masks; their AND is {T, F, T, F}.
struct Pair {
  lm::DType dtype = lm::Float32;
  lm::Tensor a = lm::tensor({{{1.0, 2.0}, {3.0, 4.0}}, {{5.0, 6.0}, {7.0, 8.0}}}, dtype)
                     .with_mask(bools({true, true, true, false}, {2, 2}));
  lm::Tensor b = lm::tensor({{{10.0, 20.0}, {30.0, 40.0}}, {{50.0, 60.0}, {70.0, 80.0}}}, dtype)
                     .with_mask(bools({true, false, true, true}, {2, 2}));
  // Interleaves with `a` so that Maximum/Minimum pick from both.
  lm::Tensor c = lm::tensor({{{0.0, 5.0}, {3.5, 1.0}}, {{9.0, 2.0}, {-7.0, 8.5}}}, dtype)
                     .with_mask(bools({true, false, true, true}, {2, 2}));
};
const std::vector<bool> kAnd{true, false, true, false};

}  // namespace

TEST(Merge, ElementwiseValuesAndMaskAnd) {
  Pair p;
  auto add = Add()({p.a, p.b});
  EXPECT_VALUES(add, {11, 22, 33, 44, 55, 66, 77, 88});
  EXPECT_MASK(add, lm::Shape({2, 2}), kAnd);

  auto sub = Subtract()({p.a, p.b});  // a - b
  EXPECT_VALUES(sub, {-9, -18, -27, -36, -45, -54, -63, -72});
  EXPECT_MASK(sub, lm::Shape({2, 2}), kAnd);

  auto mul = Multiply()({p.a, p.b});  // 1*10, 2*20, 3*30, 4*40, 5*50, 6*60, 7*70, 8*80
  EXPECT_VALUES(mul, {10, 40, 90, 160, 250, 360, 490, 640});
  EXPECT_MASK(mul, lm::Shape({2, 2}), kAnd);

  auto avg = Average()({p.a, p.b});  // (a + b) / 2
  EXPECT_VALUES(avg, {5.5, 11, 16.5, 22, 27.5, 33, 38.5, 44});
  EXPECT_MASK(avg, lm::Shape({2, 2}), kAnd);

  auto mx = Maximum()({p.a, p.c});  // max(1,0) max(2,5) max(3,3.5) max(4,1) max(5,9) max(6,2) max(7,-7) max(8,8.5)
  EXPECT_VALUES(mx, {1, 5, 3.5, 4, 9, 6, 7, 8.5});
  EXPECT_MASK(mx, lm::Shape({2, 2}), kAnd);

  auto mn = Minimum()({p.a, p.c});
  EXPECT_VALUES(mn, {0, 2, 3, 1, 5, 2, -7, 8});
  EXPECT_MASK(mn, lm::Shape({2, 2}), kAnd);
}

TEST(Merge, ThreeInputsAndAnUnmaskedOne) {
  Pair p;
  auto ones = lm::ones({2, 2, 2});  // unmasked: counts as all-valid
  auto add = Add()({p.a, p.b, ones});
  EXPECT_VALUES(add, {12, 23, 34, 45, 56, 67, 78, 89});
  EXPECT_MASK(add, lm::Shape({2, 2}), kAnd);
  auto avg = Average()({p.a, p.b, ones});  // (a + b + 1) / 3
  EXPECT_VALUES(avg, {4, 23.0 / 3, 34.0 / 3, 15, 56.0 / 3, 67.0 / 3, 26, 89.0 / 3});
  auto mul = Multiply()({p.a, ones, ones});
  EXPECT_VALUES(mul, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_MASK(mul, lm::Shape({2, 2}), {true, true, true, false});  // only a's mask
  auto plain = Add()({ones, ones});
  EXPECT_FALSE(plain.has_mask());
  // Integer inputs average to Float32.
  auto ints = Average()({lm::tensor({{1, 2}}), lm::tensor({{2, 2}})});
  EXPECT_EQ(ints.dtype(), lm::Float32);
  EXPECT_VALUES(ints, {1.5, 2});
}

TEST(Merge, LowerRankInputsBroadcastAfterTheBatchAxis) {
  Pair p;
  // (2, 2) meets (2, 2, 2) as (2, 1, 2): row b of d is added at every step of batch row b.
  auto d = lm::tensor({{100.f, 200.f}, {300.f, 400.f}});
  auto y = Add()({p.a, d});
  EXPECT_SHAPE(y, lm::Shape({2, 2, 2}));
  EXPECT_VALUES(y, {101, 202, 103, 204, 305, 406, 307, 408});
  EXPECT_MASK(y, lm::Shape({2, 2}), {true, true, true, false});
  // Size-1 axes broadcast: a (2, 2, 1) scale.
  auto s = lm::tensor({{{2.f}, {3.f}}, {{4.f}, {5.f}}});
  EXPECT_VALUES(Multiply()({p.a, s}), {2, 4, 9, 12, 20, 24, 35, 40});
}

TEST(Concatenate, FeatureAxisAndsMasks) {
  Pair p;
  auto e = lm::tensor({{{-1.f}, {-2.f}}, {{-3.f}, {-4.f}}}).with_mask(bools({true, false, true, true}, {2, 2}));
  auto y = Concatenate()({p.a, e});  // axis -1
  EXPECT_SHAPE(y, lm::Shape({2, 2, 3}));
  EXPECT_VALUES(y, {1, 2, -1, 3, 4, -2, 5, 6, -3, 7, 8, -4});
  EXPECT_MASK(y, lm::Shape({2, 2}), kAnd);  // {T,T,T,F} AND {T,F,T,T}
}

TEST(Concatenate, TimeAxisConcatenatesMasks) {
  Pair p;
  auto e = lm::tensor({{{-1.f, -2.f}}, {{-3.f, -4.f}}});  // (2, 1, 2), unmasked
  auto y = Concatenate(1)({p.a, e});
  EXPECT_SHAPE(y, lm::Shape({2, 3, 2}));
  EXPECT_VALUES(y, {1, 2, 3, 4, -1, -2, 5, 6, 7, 8, -3, -4});
  // a's steps keep their mask; e's step is valid.
  EXPECT_MASK(y, lm::Shape({2, 3}), {true, true, true, true, false, true});
  auto z = Concatenate(1)({p.a, p.b});  // both masked: row r is a's mask row r, then b's
  EXPECT_MASK(z, lm::Shape({2, 4}), {true, true, true, false, true, false, true, true});
}

TEST(Merge, Gradients) {
  Pair p{.dtype = lm::Float64};
  auto e = lm::tensor({{{-1.0}, {-2.0}}, {{-3.0}, {-4.0}}});
  std::vector<std::pair<std::string, lm::LayerRef>> layers{
      {"Add", Add()},         {"Subtract", Subtract()}, {"Multiply", Multiply()},      {"Average", Average()},
      {"Maximum", Maximum()}, {"Minimum", Minimum()},   {"Concatenate", Concatenate()}};
  for (auto& [name, layer] : layers) {
    SCOPED_TRACE(name);
    EXPECT_GRADCHECK([&](const lm::TensorList& in) { return layer(in)[0]; }, {p.a, p.c});
  }
  auto cat = Concatenate();
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return cat(in); }, {p.a, e});
  auto cat_t = Concatenate(1);
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return cat_t(in); }, {p.a, p.b});
}

TEST(Merge, SymbolicSpecs) {
  auto x = lm::Input({lm::None, 4}).with_mask(lm::Input({lm::None}, lm::Bool));
  auto y = lm::Input({lm::None, 4});
  EXPECT_EQ(Add()({x, y}).spec().str(), "float32 (None, None, 4) mask (None, None)");
  EXPECT_EQ(Maximum()({y, lm::Input({4})}).spec().str(), "float32 (None, None, 4)");
  EXPECT_EQ(Concatenate(1)({x, lm::Input({3, 4})}).spec().str(), "float32 (None, None, 4) mask (None, None)");
  EXPECT_EQ(Concatenate()({lm::Input({5, 4}), lm::Input({5, 2})}).spec().str(), "float32 (None, 5, 6)");
}

TEST(Merge, Errors) {
  auto a = lm::ones({2, 3});
  EXPECT_LAMINA_ERROR(Subtract({.name = "diff"})({a, a, a}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'diff' (Subtract)"));
    EXPECT_THAT(msg, HasSubstr("3 inputs"));
  });
  EXPECT_LAMINA_ERROR(Add({.name = "sum1"})({a}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'sum1' (Add)"));
    EXPECT_THAT(msg, HasSubstr("at least 2"));
  });
  EXPECT_LAMINA_ERROR(Multiply({.name = "prod"})({a, a, lm::ones({2, 4})}), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'prod' (Multiply)"));
    EXPECT_THAT(msg, HasSubstr("(2, 3), (2, 3), (2, 4)"));
  });
  EXPECT_LAMINA_ERROR(Add()({a, lm::ones({3, 3})}), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("batch")); });
  EXPECT_LAMINA_ERROR(Average()({lm::Input({3}), lm::Input({4})}), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("(None, 3), (None, 4)")); });
  EXPECT_LAMINA_ERROR(Concatenate(-1, {.name = "cat"})({lm::ones({2, 3, 4}), lm::ones({2, 5, 4})}), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'cat' (Concatenate)"));
    EXPECT_THAT(msg, HasSubstr("(2, 3, 4), (2, 5, 4)"));
  });
  EXPECT_LAMINA_ERROR(Concatenate()({a, lm::ones({2, 3, 1})}), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("same rank")); });
  EXPECT_LAMINA_ERROR(Concatenate(2)({a, a}), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("out of range")); });
}

TEST(Merge, Config) {
  EXPECT_EQ(Concatenate(1, {.name = "joined"})->get_config()["axis"], 1);
  EXPECT_EQ(Minimum()->get_config()["type"], "Minimum");
}
