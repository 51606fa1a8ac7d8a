// sequence_mask. Expected values from the tf.sequence_mask documentation and by hand.
#include "new_ops_test_helpers.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

TEST(SequenceMask, TensorFlowDocumentationExamples) {
  // tf.sequence_mask([1, 3, 2], 5)
  auto m = lm::sequence_mask(lm::tensor({1, 3, 2}), 5);
  EXPECT_EQ(m.dtype(), lm::Bool);
  EXPECT_SHAPE(m, lm::Shape({3, 5}));
  EXPECT_VALUES(m, {1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0});
  EXPECT_FALSE(m.has_mask());
  // tf.sequence_mask([[1, 3], [2, 0]]): maxlen is the largest length, 3.
  auto n = lm::sequence_mask(lm::tensor({{1, 3}, {2, 0}}));
  EXPECT_SHAPE(n, lm::Shape({2, 2, 3}));
  EXPECT_VALUES(n, {1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0});
}

TEST(SequenceMask, ValuesByHand) {
  EXPECT_VALUES(lm::sequence_mask(lm::tensor({4, 0}), 2), {1, 1, 0, 0});  // longer than maxlen: all true
  EXPECT_VALUES(lm::sequence_mask(lm::tensor({2L, 1L})), {1, 1, 1, 0});   // Int64 lengths
  EXPECT_VALUES(lm::sequence_mask(lm::scalar(2), 3), {1, 1, 0});          // a scalar length: one row
  // As the mask of a padded batch: mean over the valid steps only.
  auto x = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  EXPECT_VALUES(lm::mean(x.with_mask(lm::sequence_mask(lm::tensor({2, 3}), 3)), 1), {1.5, 5});
}

TEST(SequenceMask, MaskedLengthsArePadding) {
  // Length 1 is padding holding garbage (-5): not checked, its row is all false, and it
  // does not count for the default maxlen.
  for (int garbage : {-5, 99, 0}) {
    auto lengths = lm::tensor({2, garbage, 1}).with_mask(lm::tensor({true, false, true}));
    auto m = lm::sequence_mask(lengths);
    EXPECT_SHAPE(m, lm::Shape({3, 2}));
    EXPECT_VALUES(m, {1, 1, 0, 0, 1, 0}) << garbage;
    EXPECT_MASK(m, lm::Shape({3}), {true, false, true});
  }
}

TEST(SequenceMask, SymbolicSpec) {
  auto s = lm::placeholder({lm::Shape{lm::None}, lm::Int32, 1});
  EXPECT_EQ(lm::sequence_mask(s).spec(), (lm::TensorSpec{lm::Shape{lm::None, lm::None}, lm::Bool, 1}));
  EXPECT_EQ(lm::sequence_mask(s, 7).spec(), (lm::TensorSpec{lm::Shape{lm::None, 7}, lm::Bool, 1}));
  auto data = lm::tensor({3, 1, 4}).with_mask(lm::tensor({true, true, false}));
  EXPECT_SYMBOLIC_AGREES([](const lm::Tensor& t) { return lm::sequence_mask(t, 5); }, s, data);
  EXPECT_SYMBOLIC_AGREES([](const lm::Tensor& t) { return lm::sequence_mask(t); }, s, data);
}

TEST(SequenceMask, ZeroSize) {
  EXPECT_SHAPE(lm::sequence_mask(lm::zeros({0}, lm::Int32)), lm::Shape({0, 0}));
  EXPECT_SHAPE(lm::sequence_mask(lm::zeros({0}, lm::Int32), 3), lm::Shape({0, 3}));
  EXPECT_SHAPE(lm::sequence_mask(lm::tensor({1, 2, 3}), 0), lm::Shape({3, 0}));
  EXPECT_SHAPE(lm::sequence_mask(lm::tensor({0, 0})), lm::Shape({2, 0}));
}

TEST(SequenceMask, BadInput) {
  EXPECT_OP_ERROR(lm::sequence_mask(lm::tensor({1.f, 2.f})), lm::DTypeError, "sequence_mask");
  EXPECT_OP_ERROR(lm::sequence_mask(lm::tensor({true})), lm::DTypeError, "sequence_mask");
  EXPECT_OP_ERROR(lm::sequence_mask(lm::tensor({2, -1}), 3), lm::ValueError, "sequence_mask");
  EXPECT_LAMINA_ERROR(lm::sequence_mask(lm::tensor({{2, 1}, {-3, 0}})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("-3"));
    EXPECT_THAT(msg, HasSubstr("lengths[1, 0]"));
  });
  EXPECT_OP_ERROR(lm::sequence_mask(lm::tensor({1, 2}), -1), lm::ValueError, "sequence_mask");
  EXPECT_OP_ERROR(lm::sequence_mask(lm::Tensor(), 3), lm::ValueError, "sequence_mask");
  // A length so large the mask cannot be allocated is a typed error, not a crash.
  EXPECT_LAMINA_ERROR(lm::sequence_mask(lm::tensor({std::int64_t{1} << 60})), lm::Error,
                      { EXPECT_THAT(msg, HasSubstr("sequence_mask")); });
}
