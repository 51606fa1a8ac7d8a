// GlobalAveragePooling1D / GlobalMaxPooling1D: masked values (incl. an all-padding row),
// output masks, keepdims, channels_first, gradients, symbolic specs and errors.
// Reference values are worked out by hand in the comments.
#include "lamina/layers/pooling.hpp"

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

lm::Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

// (3, 3, 2): row 0 has two valid steps (the third, with 100/-100, is padding),
// row 1 is all padding, row 2 is all valid.
lm::Tensor padded_batch(lm::DType dtype = lm::Float32) {
  auto x = lm::tensor({{{1.0, 2.0}, {3.0, 4.0}, {100.0, -100.0}},
                       {{5.0, 6.0}, {7.0, 8.0}, {9.0, 10.0}},
                       {{-1.0, 0.0}, {2.0, -3.0}, {2.0, 3.0}}},
                      dtype);
  return x.with_mask(bools({true, true, false, false, false, false, true, true, true}, {3, 3}));
}

}  // namespace

TEST(GlobalAveragePooling1D, MaskedMeanIgnoresPaddingAndZeroesEmptyRows) {
  auto y = GlobalAveragePooling1D()(padded_batch());
  EXPECT_SHAPE(y, lm::Shape({3, 2}));
  // row 0: ((1+3)/2, (2+4)/2) = (2, 3)            -- the padded step is not averaged in
  // row 1: no valid step -> (0, 0), not NaN
  // row 2: ((-1+2+2)/3, (0-3+3)/3) = (1, 0)
  EXPECT_VALUES(y, {2, 3, 0, 0, 1, 0});
  EXPECT_MASK(y, lm::Shape({3}), {true, false, true});
}

TEST(GlobalMaxPooling1D, MaskedMaxIgnoresPaddingAndZeroesEmptyRows) {
  auto y = GlobalMaxPooling1D()(padded_batch());
  EXPECT_SHAPE(y, lm::Shape({3, 2}));
  // row 0: (max(1,3), max(2,4)) = (3, 4)          -- the 100 at the padded step is skipped
  // row 1: all padding -> (0, 0), never -inf
  // row 2: (max(-1,2,2), max(0,-3,3)) = (2, 3)
  EXPECT_VALUES(y, {3, 4, 0, 0, 2, 3});
  EXPECT_MASK(y, lm::Shape({3}), {true, false, true});
}

TEST(GlobalPooling1D, KeepdimsKeepsTheTimeAxis) {
  auto a = GlobalAveragePooling1D({.keepdims = true})(padded_batch());
  EXPECT_SHAPE(a, lm::Shape({3, 1, 2}));
  EXPECT_VALUES(a, {2, 3, 0, 0, 1, 0});
  EXPECT_MASK(a, lm::Shape({3, 1}), {true, false, true});
  auto m = GlobalMaxPooling1D({.keepdims = true})(padded_batch());
  EXPECT_SHAPE(m, lm::Shape({3, 1, 2}));
  EXPECT_VALUES(m, {3, 4, 0, 0, 2, 3});
  EXPECT_MASK(m, lm::Shape({3, 1}), {true, false, true});
}

TEST(GlobalPooling1D, UnmaskedInputGivesUnmaskedOutput) {
  auto x = lm::tensor({{{1.f, 2.f}, {3.f, 6.f}}});  // (1, 2, 2)
  auto a = GlobalAveragePooling1D()(x);
  EXPECT_VALUES(a, {2, 4});  // ((1+3)/2, (2+6)/2)
  EXPECT_FALSE(a.has_mask());
  auto m = GlobalMaxPooling1D()(x);
  EXPECT_VALUES(m, {3, 6});
  EXPECT_FALSE(m.has_mask());
}

TEST(GlobalPooling1D, ChannelsFirstPoolsTheLastAxis) {
  auto x = lm::tensor({{{1.f, 2.f, 3.f}, {4.f, 8.f, 6.f}}});                            // (batch 1, features 2, time 3)
  EXPECT_VALUES(GlobalAveragePooling1D({.data_format = "channels_first"})(x), {2, 6});  // 6/3, 18/3
  EXPECT_VALUES(GlobalMaxPooling1D({.data_format = "channels_first"})(x), {3, 8});
}

TEST(GlobalPooling1D, Gradients) {
  auto x = padded_batch(lm::Float64);
  auto avg = GlobalAveragePooling1D();
  auto mx = GlobalMaxPooling1D();
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return avg(in[0]); }, {x});
  EXPECT_GRADCHECK([&](const lm::TensorList& in) { return mx(in[0]); }, {x});
  // The gradient reaches valid steps only: d(sum of row-0 means)/dx[0,0,:] = 1/2 each.
  lm::GradientTape tape;
  tape.watch(x);
  auto loss = lm::sum(avg(x).without_mask());
  auto g = tape.gradient(loss, x);
  ASSERT_TRUE(g.has_value());
  EXPECT_VALUES(*g, {0.5, 0.5, 0.5, 0.5, 0, 0,  // row 0: two valid steps, padding gets 0
                     0, 0, 0, 0, 0, 0,          // row 1: all padding
                     1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3});
}

TEST(GlobalPooling1D, SymbolicSpecs) {
  auto x = lm::Input({lm::None, 8});
  auto m = lm::Input({lm::None}, lm::Bool);
  auto masked = x.with_mask(m);
  EXPECT_EQ(GlobalAveragePooling1D()(masked).spec().str(), "float32 (None, 8) mask (None,)");
  EXPECT_EQ(GlobalMaxPooling1D()(masked).spec().str(), "float32 (None, 8) mask (None,)");
  EXPECT_EQ(GlobalAveragePooling1D({.keepdims = true})(masked).spec().str(), "float32 (None, 1, 8) mask (None, 1)");
  EXPECT_EQ(GlobalAveragePooling1D()(x).spec().str(), "float32 (None, 8)");
  EXPECT_EQ(GlobalMaxPooling1D({.data_format = "channels_first"})(x).spec().str(), "float32 (None, None)");
}

TEST(GlobalPooling1D, Errors) {
  auto pool = GlobalAveragePooling1D({.name = "pool"});
  EXPECT_LAMINA_ERROR(pool(lm::ones({2, 3})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'pool' (GlobalAveragePooling1D)"));
    EXPECT_THAT(msg, HasSubstr("(2, 3)"));
    EXPECT_THAT(msg, HasSubstr("(batch, time, features)"));
  });
  EXPECT_LAMINA_ERROR(GlobalMaxPooling1D()(lm::Input({4})), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("GlobalMaxPooling1D")); });
  EXPECT_LAMINA_ERROR(GlobalMaxPooling1D({.data_format = "channels_middle"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("GlobalMaxPooling1D"));
    EXPECT_THAT(msg, HasSubstr("channels_middle"));
  });
  EXPECT_LAMINA_ERROR(pool({lm::ones({1, 2, 2}), lm::ones({1, 2, 2})}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("pool")); });
}

TEST(GlobalPooling1D, Config) {
  auto c = GlobalMaxPooling1D({.keepdims = true, .name = "gmp"})->get_config();
  EXPECT_EQ(c["type"], "GlobalMaxPooling1D");
  EXPECT_EQ(c["name"], "gmp");
  EXPECT_EQ(c["keepdims"], true);
  EXPECT_EQ(c["data_format"], "channels_last");
}
