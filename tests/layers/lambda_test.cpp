// Lambda: seed documents 001 and 002, mask handling, runtime checks.
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

// Seed 001, example 1: a declared output_shape that disagrees with the function fails when
// the layer is called on the symbolic input -- before any data or fit.
TEST(Lambda, Seed001DeclaredOutputShapeIsCheckedAtBuild) {
  auto input = lm::Input({10, 100});
  auto weighted_sum_incorrect = [](const lm::Tensor& x) {
    auto weights = lm::random_normal({x.dim(2)});
    return lm::dot(x, weights);  // K.dot((B,10,100), (100,)) -> (B, 10)
  };
  Lambda layer(weighted_sum_incorrect, {.output_shape = lm::Shape{100}, .name = "weighted_sum"});
  EXPECT_LAMINA_ERROR(layer(input), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'weighted_sum' (Lambda)"));
    EXPECT_THAT(msg, HasSubstr("declared output_shape"));
    EXPECT_THAT(msg, HasSubstr("(None, 100)"));
    EXPECT_THAT(msg, HasSubstr("(None, 10) for input (None, 10, 100)"));
    EXPECT_THAT(msg, HasSubstr("hint: drop output_shape"));
  });
}

// Seed 001, example 2: without output_shape the shape is inferred.
TEST(Lambda, Seed001OutputShapeIsInferred) {
  auto input = lm::Input({10, 100});
  auto weighted_sum_correct = [](const lm::Tensor& x) {
    auto weights = lm::random_normal({x.dim(2)});
    return lm::sum(x * weights, 2);
  };
  Lambda layer(weighted_sum_correct);
  auto out = layer(input);
  EXPECT_EQ(out.spec().str(), "float32 (None, 10)");
  ASSERT_TRUE(layer->inferred_spec().has_value());
  EXPECT_EQ(layer->inferred_spec()->shape, lm::Shape({lm::None, 10}));
  // And it runs on data with that shape.
  EXPECT_SHAPE(layer(lm::random_normal({4, 10, 100}, {.seed = 1})), lm::Shape({4, 10}));
}

// Seed 002, example 1: a function that returns nothing on one branch.
TEST(Lambda, Seed002FunctionReturningNothingOnABranch) {
  auto conditional_transform = [](const lm::Tensor& x) -> lm::Tensor {
    if (lm::sum(x) > 0) return x * 2;
    return {};  // the analogue of Python's `return None`
  };
  Lambda layer(conditional_transform, {.name = "conditional"});
  EXPECT_VALUES(layer(lm::tensor({{1.f, 2.f, 3.f}})), {2, 4, 6});
  auto X = lm::tensor({{1.f, 2.f, 3.f}, {-1.f, -2.f, -3.f}});  // sums to 0: takes the None branch
  EXPECT_LAMINA_ERROR(layer(X), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'conditional' (Lambda)"));
    EXPECT_THAT(msg, HasSubstr("undefined tensor"));
    EXPECT_THAT(msg, HasSubstr("input shape (2, 3)"));
  });
}

// Seed 002, example 2: `x *= 2` inside the function rebinds x; the value and the gradient
// (2 per element) are right, and the caller's tensor is untouched.
TEST(Lambda, Seed002InPlaceStyleMutationIsSafe) {
  auto inplace_mutation = [](lm::Tensor x) {
    x *= 2;
    return x;
  };
  Lambda layer(inplace_mutation);
  auto X = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  lm::GradientTape tape;
  tape.watch(X);
  auto y = layer(X);
  EXPECT_VALUES(y, {2, 4, 6, 8, 10, 12});
  EXPECT_VALUES(X, {1, 2, 3, 4, 5, 6});
  auto g = tape.gradient(lm::sum(y), X);
  ASSERT_TRUE(g.has_value());
  EXPECT_VALUES(*g, {2, 2, 2, 2, 2, 2});
}

TEST(Lambda, MasksFlowThroughTheFunctionsOps) {
  Lambda squash([](const lm::Tensor& t) { return lm::tanh(t) + 1; });
  auto x = lm::zeros({2, 3, 4}).with_mask(lm::tensor({{true, true, false}, {true, false, false}}));
  auto y = squash(x);
  EXPECT_MASK(y, lm::Shape({2, 3}), {true, true, false, true, false, false});
  // Symbolic: the mask is part of the inferred spec.
  auto tokens = lm::Input({5}, lm::Int32);
  auto emb = Embedding(10, 4, {.mask_zero = true})(tokens);
  Lambda fresh([](const lm::Tensor& t) { return lm::tanh(t) + 1; });
  EXPECT_EQ(fresh(emb).spec().str(), "float32 (None, 5, 4) mask (None, 5)");
  // The first layer saw (2, 3, 4) and now (None, 5, 4): the time length becomes unknown.
  EXPECT_EQ(squash(emb).spec().str(), "float32 (None, None, 4) mask (None, None)");
}

TEST(Lambda, MaskOptionDropsOrComputesTheMask) {
  auto x = lm::ones({2, 3}).with_mask(lm::tensor({true, false}));
  Lambda drop([](const lm::Tensor& t) { return t * 2; }, {.mask = false});
  EXPECT_FALSE(drop(x).has_mask());
  Lambda custom([](const lm::Tensor& t) { return t * 2; },
                {.mask = [](const lm::TensorList& in, const lm::TensorList&) {
                  return lm::tensor({false, true});
                }});
  EXPECT_MASK(custom(x), lm::Shape({2}), {false, true});
}

TEST(Lambda, LaterCallsAreCheckedAgainstTheInferredSpec) {
  // Returns rank 2 for small batches and rank 1 for big ones: caught on the first call
  // whose result disagrees with what the build inferred.
  Lambda sneaky([](const lm::Tensor& t) { return t.dim(0) < 10 ? t : lm::sum(t, 1); }, {.name = "sneaky"});
  EXPECT_SHAPE(sneaky(lm::ones({4, 3})), lm::Shape({4, 3}));
  EXPECT_LAMINA_ERROR(sneaky(lm::ones({12, 3})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'sneaky' (Lambda)"));
    EXPECT_THAT(msg, HasSubstr("(12,)"));
  });
}

TEST(Lambda, VariableLengthsGeneraliseTheInferredSpec) {
  Lambda twice([](const lm::Tensor& t) { return t * 2; });
  EXPECT_SHAPE(twice(lm::ones({2, 5, 3})), lm::Shape({2, 5, 3}));
  EXPECT_SHAPE(twice(lm::ones({2, 7, 3})), lm::Shape({2, 7, 3}));
  EXPECT_EQ(twice->inferred_spec()->shape, lm::Shape({lm::None, lm::None, 3}));
}

TEST(Lambda, ErrorsDuringProbingSayWhatLaminaWasDoing) {
  Lambda bad([](const lm::Tensor& t) { return lm::reshape(t, lm::Shape{7}); }, {.name = "bad"});
  EXPECT_LAMINA_ERROR(bad(lm::Input({3})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'bad' (Lambda), op 'reshape'"));
    EXPECT_THAT(msg, HasSubstr("probe inputs (None, 3)"));
  });
}

// DESIGN.md section 6, with seed 001 example 3's layer name: a non-differentiable op in a
// Lambda cuts the dense layer's path to the loss, and the tape names the op and the layer.
TEST(Lambda, NonDifferentiableOpIsNamedWithItsLayer) {
  lm::clear_session();
  Dense dense(3);
  Lambda select_random([](const lm::Tensor& t) { return lm::round(t); }, {.name = "select_random"});
  auto x = lm::random_normal({4, 5}, {.seed = 2});
  lm::GradientTape tape;
  auto loss = lm::sum(lm::square(select_random(dense(x))));
  EXPECT_LAMINA_ERROR(tape.require_gradients(loss, dense->trainable_weights()), lm::GradientError, {
    EXPECT_THAT(msg, HasSubstr("no gradient reaches 'dense/kernel', 'dense/bias': the path to the loss is cut by "
                               "op 'round' in layer 'select_random' (Lambda)"));
  });
}
