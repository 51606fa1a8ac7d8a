// DESIGN.md section 5, row by row: each op kind's mask rule on concrete values. (The
// op-family suites test each op in depth; this file is the table itself, in one place.)
#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

namespace {
// (2, 4, 3) ones with time mask [[1,1,0,0],[1,1,1,0]].
lm::Tensor masked_sequence() {
  return lm::ones({2, 4, 3}).with_mask(lm::tensor({{true, true, false, false}, {true, true, true, false}}));
}
const std::vector<bool> kTimeMask = {true, true, false, false, true, true, true, false};
}  // namespace

TEST(MaskTable, CreationAttachesTheNewMask) {
  auto x = lm::ones({2, 3}).with_mask(lm::tensor({true, false}));
  EXPECT_MASK(x, lm::Shape({2}), {true, false});
  EXPECT_MASK(x.with_mask(lm::tensor({false, true})), lm::Shape({2}), {false, true});  // replaced, not ANDed
  EXPECT_FALSE(x.without_mask().has_mask());
}

TEST(MaskTable, ElementwiseKeepsTheMaskWithUnmaskedOperands) {
  auto y = masked_sequence() + 1.0;
  EXPECT_VALUES(y, std::vector<double>(24, 2.0));
  EXPECT_MASK(y, lm::Shape({2, 4}), kTimeMask);
  EXPECT_MASK(lm::tanh(masked_sequence()), lm::Shape({2, 4}), kTimeMask);
  EXPECT_MASK(lm::cast(masked_sequence(), lm::Int32), lm::Shape({2, 4}), kTimeMask);
  EXPECT_MASK(lm::zeros_like(masked_sequence()), lm::Shape({2, 4}), kTimeMask);
  EXPECT_MASK(masked_sequence() * lm::ones({3}), lm::Shape({2, 4}), kTimeMask);
}

TEST(MaskTable, ElementwiseAndsTwoMasks) {
  auto other = lm::ones({2, 4, 3}).with_mask(lm::tensor({{true, false, true, false}, {true, true, true, true}}));
  auto y = masked_sequence() * other;
  EXPECT_MASK(y, lm::Shape({2, 4}), {true, false, false, false, true, true, true, false});
  auto w = lm::where(lm::ones({2, 4, 3}, lm::Bool), masked_sequence(), other);
  EXPECT_MASK(w, lm::Shape({2, 4}), {true, false, false, false, true, true, true, false});
}

TEST(MaskTable, ReducingFeatureAxesKeepsTheMask) {
  auto s = lm::sum(masked_sequence(), -1);
  EXPECT_VALUES(s, std::vector<double>(8, 3.0));  // features are all summed, padding or not
  EXPECT_MASK(s, lm::Shape({2, 4}), kTimeMask);
}

TEST(MaskTable, ReducingTheMaskedAxisIgnoresPadding) {
  auto x =
      lm::tensor({{1.f, 2.f, 0.f, 0.f}, {4.f, 5.f, 6.f, 0.f}}).with_mask(lm::tensor({{1, 1, 0, 0}, {1, 1, 1, 0}}) != 0);
  auto m = lm::mean(x, 1);
  EXPECT_VALUES(m, {1.5, 5});
  EXPECT_MASK(m, lm::Shape({2}), {true, true});
  EXPECT_VALUES(lm::max(x, 1), {2, 6});
  EXPECT_VALUES(lm::sum(x, 1), {3, 15});
}

TEST(MaskTable, AllMaskedRowGivesZeroAndIsMarkedInvalid) {
  auto x = lm::tensor({{1.f, 2.f}, {7.f, 9.f}}).with_mask(lm::tensor({{true, true}, {false, false}}));
  for (const auto& r : {lm::mean(x, 1), lm::sum(x, 1), lm::max(x, 1), lm::min(x, 1), lm::logsumexp(x, 1)}) {
    EXPECT_EQ(r.to_vector<double>()[1], 0.0) << r;
    EXPECT_MASK(r, lm::Shape({2}), {true, false});
  }
}

TEST(MaskTable, ShapeOpsTransformTheMask) {
  auto x = masked_sequence();
  EXPECT_MASK(lm::slice(x, 1, {1, 3}), lm::Shape({2, 2}), {true, false, true, true});
  EXPECT_MASK(lm::transpose(x, {1, 0, 2}), lm::Shape({4, 2}), {true, true, true, true, false, true, false, false});
  EXPECT_MASK(lm::reshape(x, lm::Shape{2, 4, 3, 1}), lm::Shape({2, 4}), kTimeMask);
  EXPECT_MASK(lm::reshape(x, lm::Shape{8, 3}), lm::Shape({8}), kTimeMask);  // merging masked axes
  auto c = lm::concat({x, lm::ones({2, 1, 3})}, 1);                         // the unmasked part counts as valid
  EXPECT_MASK(c, lm::Shape({2, 5}), {true, true, false, false, true, true, true, true, false, true});
  EXPECT_MASK(lm::stack({x, x}, 0), lm::Shape({2, 2, 4}),
              {true, true, false, false, true, true, true, false, true, true, false, false, true, true, true, false});
}

TEST(MaskTable, ReshapeMixingMaskedAndUnmaskedAxesIsAMaskError) {
  EXPECT_LAMINA_ERROR(lm::reshape(masked_sequence(), lm::Shape{2, 12}), lm::MaskError, {
    EXPECT_THAT(msg, HasSubstr("op 'reshape'"));
    EXPECT_THAT(msg, HasSubstr("(2, 4, 3)"));
    EXPECT_THAT(msg, HasSubstr("without_mask"));
  });
}

TEST(MaskTable, MatmulContractsMaskedEntriesAsZeroAndKeepsOtherMasks) {
  // Contracting features keeps the (B, T) mask.
  auto y = lm::matmul(masked_sequence(), lm::ones({3, 5}));
  EXPECT_MASK(y, lm::Shape({2, 4}), kTimeMask);
  // Contracting the masked time axis: padded steps contribute nothing.
  auto v = lm::tensor({{{1.f}, {2.f}, {100.f}}}).with_mask(lm::tensor({{true, true, false}}));  // (1, 3, 1)
  auto w = lm::tensor({{{1.f, 1.f, 1.f}}});                                                     // (1, 1, 3)
  EXPECT_VALUES(lm::matmul(w, v), {3});
  auto d = lm::dot(masked_sequence(), lm::ones({3}));
  EXPECT_SHAPE(d, lm::Shape({2, 4}));
  EXPECT_MASK(d, lm::Shape({2, 4}), kTimeMask);
}

TEST(MaskTable, SoftmaxOverAMaskedAxisExcludesPadding) {
  auto x = lm::tensor({{0.f, std::log(3.f), 50.f}, {1.f, 2.f, 3.f}})
               .with_mask(lm::tensor({{true, true, false}, {false, false, false}}));
  EXPECT_VALUES(lm::softmax(x, -1), {0.25, 0.75, 0, 0, 0, 0}, 1e-6);
}
