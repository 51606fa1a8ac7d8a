// Every error says where (layer, op), what was expected, what was found, and a hint.
#include "test_util.hpp"

namespace lm = lamina;
using ::testing::HasSubstr;

TEST(Errors, MessageHasKindWhereExpectedFoundHint) {
  lm::ShapeError e({.op = "matmul",
                    .problem = "inner dimensions differ",
                    .expected = "(2, 3) @ (3, k)",
                    .found = "(2, 3) @ (4, 5)",
                    .hint = "transpose one operand"});
  std::string m = e.what();
  EXPECT_THAT(m, HasSubstr("ShapeError in op 'matmul': inner dimensions differ"));
  EXPECT_THAT(m, HasSubstr("expected: (2, 3) @ (3, k)"));
  EXPECT_THAT(m, HasSubstr("found:    (2, 3) @ (4, 5)"));
  EXPECT_THAT(m, HasSubstr("hint: transpose one operand"));
  EXPECT_EQ(e.kind(), lm::ErrorKind::Shape);
}

TEST(Errors, ContextStackNamesLayerAndOutermostOp) {
  lm::LayerScope layer("weighted_sum", "Lambda");
  lm::OpScope outer("mean");
  lm::OpScope inner("sum");  // an op implemented with another reports the one the user called
  lm::ValueError e({.problem = "bad"});
  EXPECT_EQ(e.where(), "layer 'weighted_sum' (Lambda), op 'mean'");
  EXPECT_THAT(std::string(e.what()), HasSubstr("ValueError in layer 'weighted_sum' (Lambda), op 'mean': bad"));
}

TEST(Errors, NestedLayersAndNotes) {
  lm::NoteScope note("fit: epoch 1, batch 3");
  lm::LayerScope outer("model", "Model");
  {
    lm::LayerScope inner("lstm", "LSTM");
    lm::OpScope op("matmul");
    EXPECT_EQ(lm::current_where(), "fit: epoch 1, batch 3 > layer 'model' (Model) > layer 'lstm' (LSTM), op 'matmul'");
  }
  EXPECT_EQ(lm::current_where(), "fit: epoch 1, batch 3 > layer 'model' (Model)");
}

TEST(Errors, AllTypesDeriveFromLaminaError) {
  auto kinds = {lm::ErrorKind::Shape,    lm::ErrorKind::DType, lm::ErrorKind::Mask,
                lm::ErrorKind::Gradient, lm::ErrorKind::Value, lm::ErrorKind::IO};
  for (auto k : kinds) {
    lm::Error e(k, {.problem = "x"});
    EXPECT_THAT(std::string(e.what()), HasSubstr(std::string(lm::error_kind_name(k))));
  }
  EXPECT_THROW(throw lm::MaskError({}), lm::Error);
  EXPECT_THROW(throw lm::GradientError({}), std::runtime_error);
}
