#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

TEST(Shape, PrintsLikePythonTuplesWithNone) {
  EXPECT_EQ(lm::Shape({lm::None, 10}).str(), "(None, 10)");
  EXPECT_EQ(lm::Shape({3}).str(), "(3,)");
  EXPECT_EQ(lm::Shape().str(), "()");
  EXPECT_EQ(lm::Shape({2, 0, 5}).str(), "(2, 0, 5)");
}

TEST(Shape, NumelAndUnknownDims) {
  EXPECT_EQ(lm::Shape({2, 3, 4}).numel(), 24);
  EXPECT_EQ(lm::Shape().numel(), 1);
  EXPECT_EQ(lm::Shape({2, 0}).numel(), 0);
  EXPECT_FALSE(lm::Shape({lm::None, 3}).is_fully_known());
  EXPECT_LAMINA_ERROR(lm::Shape({lm::None, 3}).numel(), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("(None, 3)")); });
}

TEST(Shape, NegativeAxesAndOutOfRange) {
  lm::Shape s({2, 3, 4});
  EXPECT_EQ(s.dim(-1), 4);
  EXPECT_EQ(s.dim(0), 2);
  EXPECT_EQ(lm::normalize_axis(-3, 3, "op"), 0);
  EXPECT_LAMINA_ERROR(lm::normalize_axis(3, 3, "sum"), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("op 'sum'"));
    EXPECT_THAT(msg, HasSubstr("axis 3"));
    EXPECT_THAT(msg, HasSubstr("[-3, 3)"));
  });
  EXPECT_EQ(s.prefix(2), lm::Shape({2, 3}));
}

TEST(Shape, ContiguousStrides) {
  EXPECT_EQ(lm::contiguous_strides(lm::Shape({2, 3, 4})), (std::vector<std::int64_t>{12, 4, 1}));
}
