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
  // Symbolic: the mask is part of the traced spec, exactly (an earlier eager call on other
  // sizes does not blur it).
  auto tokens = lm::Input({5}, lm::Int32);
  auto emb = Embedding(10, 4, {.mask_zero = true})(tokens);
  Lambda fresh([](const lm::Tensor& t) { return lm::tanh(t) + 1; });
  EXPECT_EQ(fresh(emb).spec().str(), "float32 (None, 5, 4) mask (None, 5)");
  EXPECT_EQ(squash(emb).spec().str(), "float32 (None, 5, 4) mask (None, 5)");
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

TEST(Lambda, DataThroughAModelIsCheckedAgainstTheInferredSpec) {
  // Returns rank 2 for small batches and rank 1 for big ones. Traced on the symbolic input
  // (batch None < 10) it infers (None, 3); data through that graph node is checked.
  Lambda sneaky([](const lm::Tensor& t) { return t.dim(0) < 10 ? t : lm::sum(t, 1); }, {.name = "sneaky"});
  auto y = sneaky(lm::Input({3}));
  EXPECT_EQ(y.spec().str(), "float32 (None, 3)");
  auto replay = y.node()->replay;
  EXPECT_SHAPE(replay({lm::ones({4, 3})})[0], lm::Shape({4, 3}));
  EXPECT_LAMINA_ERROR(replay({lm::ones({12, 3})}), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'sneaky' (Lambda)"));
    EXPECT_THAT(msg, HasSubstr("(12,)"));
    EXPECT_THAT(msg, HasSubstr("hint:"));
  });
  // Called eagerly only, it just runs the function, as Keras does.
  Lambda eager([](const lm::Tensor& t) { return t.dim(0) < 10 ? t : lm::sum(t, 1); });
  EXPECT_SHAPE(eager(lm::ones({4, 3})), lm::Shape({4, 3}));
  EXPECT_SHAPE(eager(lm::ones({12, 3})), lm::Shape({12}));
}

TEST(Lambda, TracingGivesExactSpecsForEachSymbolicInput) {
  Lambda twice([](const lm::Tensor& t) { return t * 2; });
  EXPECT_EQ(twice(lm::Input({5, 3})).spec().str(), "float32 (None, 5, 3)");
  EXPECT_EQ(twice(lm::Input({lm::None, 3})).spec().str(), "float32 (None, None, 3)");
  EXPECT_EQ(twice->inferred_spec()->shape, lm::Shape({lm::None, lm::None, 3}));
  EXPECT_SHAPE(twice(lm::ones({2, 7, 3})), lm::Shape({2, 7, 3}));
}

TEST(Lambda, BuildErrorsNameTheLayerTheShapesAndAHint) {
  Lambda bad([](const lm::Tensor& t) { return lm::matmul(t, lm::ones({4, 2})); }, {.name = "bad"});
  EXPECT_LAMINA_ERROR(bad(lm::Input({5, 3})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'bad' (Lambda), op 'matmul'"));
    EXPECT_THAT(msg, HasSubstr("(None, 5, 3)"));
    EXPECT_THAT(msg, HasSubstr("hint:"));
  });
  Lambda clash([](const lm::Tensor& t) { return t + lm::ones({4}); }, {.name = "clash"});
  EXPECT_LAMINA_ERROR(clash(lm::Input({3})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'clash' (Lambda), op 'add'"));
    EXPECT_THAT(msg, HasSubstr("(None, 3)"));
    EXPECT_THAT(msg, HasSubstr("(4,)"));
    EXPECT_THAT(msg, HasSubstr("hint:"));
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

// ---- issue 8, bugs 3 and 4 ----------------------------------------------------------------

// Seed 000, written as a Lamina user would: the int mask promotes (no TypeError), a Bool
// mask selects, where() zeroes. On concrete tensors the Lambda just runs the function.
TEST(Lambda, Seed000MaskingInsideALambda) {
  using lm::Tensor;
  // Example 1: `x * mask` with an integer mask -- int32 promotes to float32.
  auto int_mask = lm::tensor({1, 0, 1, 0});
  auto tensor = lm::tensor({10.f, 20.f, 30.f, 40.f});
  auto masked_tensor = Lambda([&](const Tensor& t) { return t * int_mask; })(tensor);
  EXPECT_EQ(masked_tensor.dtype(), lm::Float32);
  EXPECT_VALUES(masked_tensor, {10, 0, 30, 0});
  EXPECT_EQ(masked_tensor.str(), "tensor([10.,  0., 30.,  0.], dtype=float32, shape=(4,))");
  // Example 2: boolean_mask with the mask cast to Bool keeps the selected entries.
  auto mask = lm::cast(lm::tensor({1, 0, 1, 0}), lm::Bool);
  auto selected = Lambda([&](const Tensor& x) { return lm::boolean_mask(x, mask); })(tensor);
  EXPECT_VALUES(selected, {10, 30});
  EXPECT_EQ(selected.str(), "tensor([10., 30.], dtype=float32, shape=(2,))");
  // ...and an integer mask there is a DTypeError with the fix, naming the Lambda.
  EXPECT_LAMINA_ERROR(Lambda([&](const Tensor& x) { return lm::boolean_mask(x, int_mask); },
                             {.name = "select"})(tensor),
                      lm::DTypeError, {
                        EXPECT_THAT(msg, HasSubstr("layer 'select' (Lambda), op 'boolean_mask'"));
                        EXPECT_THAT(msg, HasSubstr("mask != 0"));
                      });
  // Example 3: where(mask, x, zeros_like(x)).
  auto bool_mask = lm::tensor({true, false, true, false});
  auto zeroed = Lambda([&](const Tensor& x) { return lm::where(bool_mask, x, lm::zeros_like(x)); })(tensor);
  EXPECT_VALUES(zeroed, {10, 0, 30, 0});
  EXPECT_EQ(zeroed.str(), "tensor([10.,  0., 30.,  0.], dtype=float32, shape=(4,))");
}

TEST(Lambda, ConcreteCallsUseConstantsSizedForTheRealBatch) {
  auto per_row = lm::tensor({{1.f}, {2.f}, {3.f}});  // one factor per example of this batch
  Lambda scale([&](const lm::Tensor& t) { return t * per_row; });
  EXPECT_VALUES(scale(lm::ones({3, 2})), {1, 1, 2, 2, 3, 3});
  Lambda shift([](const lm::Tensor& t) { return t + lm::arange(t.dim(0)); });  // sizes from the data
  EXPECT_VALUES(shift(lm::zeros({5})), {0, 1, 2, 3, 4});
  // A declared output_shape is still checked against what comes back.
  Lambda declared([](const lm::Tensor& t) { return lm::sum(t, 1); }, {.output_shape = lm::Shape{2}, .name = "decl"});
  EXPECT_LAMINA_ERROR(declared(lm::ones({3, 2})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'decl' (Lambda)"));
    EXPECT_THAT(msg, HasSubstr("(None, 2)"));
    EXPECT_THAT(msg, HasSubstr("(3,)"));
  });
}

// Before: both random probes of (2, 4) and (3, 4) happened to keep... any count at all was
// baked into the spec. Traced, the count is None, and every batch fits.
TEST(Lambda, DataDependentSizesAreUnknownWhenTraced) {
  Lambda positives([](const lm::Tensor& t) { return lm::boolean_mask(t, t > 0); }, {.name = "positives"});
  auto y = positives(lm::Input({4}));
  EXPECT_EQ(y.spec().str(), "float32 (None,)");
  auto replay = y.node()->replay;
  EXPECT_VALUES(replay({lm::tensor({{1.f, -1.f, 2.f, -2.f}})})[0], {1, 2});
  EXPECT_VALUES(replay({lm::tensor({{1.f, 1.f, 1.f, 1.f}, {1.f, 1.f, 1.f, -1.f}})})[0], {1, 1, 1, 1, 1, 1, 1});
  EXPECT_SHAPE(replay({lm::tensor({{-1.f, -1.f, -1.f, -1.f}})})[0], lm::Shape({0}));
  // Known sizes stay known: a sum over features of the kept rows.
  Lambda rows([](const lm::Tensor& t) { return lm::boolean_mask(t, lm::sum(t, 1) > 0); });
  EXPECT_EQ(rows(lm::Input({3})).spec().str(), "float32 (None, 3)");
}

TEST(Lambda, FunctionsThatNeedValuesFallBackToProbing) {
  // A branch on the data cannot be traced (a symbolic tensor has no truth value); the
  // probes run it on data instead.
  auto conditional = [](const lm::Tensor& x) -> lm::Tensor {
    if (lm::sum(x) > 0) return x * 2;
    return x * 3;
  };
  Lambda layer(conditional);
  EXPECT_EQ(layer(lm::Input({3})).spec().str(), "float32 (None, 3)");
  // Tensors sized by an unknown dim cannot be created while tracing either (None is -1).
  Lambda by_batch([](const lm::Tensor& x) { return x + lm::ones({x.dim(0), 1}); });
  EXPECT_EQ(by_batch(lm::Input({3})).spec().str(), "float32 (None, 3)");
  // When probing fails too, the message says both.
  Lambda broken([](const lm::Tensor& x) -> lm::Tensor {
    if (lm::sum(x) > 0) return lm::reshape(x, lm::Shape{7});
    return lm::reshape(x, lm::Shape{7});
  }, {.name = "broken"});
  EXPECT_LAMINA_ERROR(broken(lm::Input({3})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'broken' (Lambda), op 'reshape'"));
    EXPECT_THAT(msg, HasSubstr("probe inputs (None, 3)"));
    EXPECT_THAT(msg, HasSubstr("tracing it on the symbolic inputs failed first"));
  });
}
