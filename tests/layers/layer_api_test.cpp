// The Layer call protocol: names, weights, masks, custom layers, symbolic calls.
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

// Seed 004, example 1: a custom layer that applies the mask it is given.
class MaskedLayer : public lm::Layer {
 public:
  MaskedLayer() : Layer("MaskedLayer") {}
  lm::Tensor call(const lm::Tensor& inputs, const lm::Tensor& mask, bool) override {
    if (mask.defined()) return inputs * lm::cast(mask, inputs.dtype());
    return inputs;
  }
};

// A custom layer that does not declare mask support.
class Doubler : public lm::Layer {
 public:
  Doubler() : Layer("Doubler") {}
  lm::Tensor call(const lm::Tensor& x, const lm::Tensor&, bool) override { return x * 2; }
};

class ReturnsNothing : public lm::Layer {
 public:
  ReturnsNothing() : Layer("ReturnsNothing") {}
  lm::Tensor call(const lm::Tensor&, const lm::Tensor&, bool) override { return {}; }
};

}  // namespace

TEST(LayerApi, UniqueSnakeCaseNames) {
  lm::clear_session();
  EXPECT_EQ(lm::snake_case("LSTM"), "lstm");
  EXPECT_EQ(lm::snake_case("SimpleRNN"), "simple_rnn");
  EXPECT_EQ(lm::snake_case("GlobalAveragePooling1D"), "global_average_pooling1d");
  EXPECT_EQ(lm::snake_case("MultiHeadAttention"), "multi_head_attention");
  Dense a(3), b(3), c(3, {.name = "head"});
  EXPECT_EQ(a->name(), "dense");
  EXPECT_EQ(b->name(), "dense_1");
  EXPECT_EQ(c->name(), "head");
}

TEST(LayerApi, WeightsAreNamedVariablesCreatedOnFirstCall) {
  lm::clear_session();
  Dense d(4);
  EXPECT_FALSE(d->built());
  EXPECT_TRUE(d->weights().empty());
  auto y = d(lm::ones({2, 3}));
  EXPECT_TRUE(d->built());
  ASSERT_EQ(d->weights().size(), 2u);
  EXPECT_EQ(d->weights()[0].name(), "dense/kernel");
  EXPECT_EQ(d->weights()[1].name(), "dense/bias");
  EXPECT_EQ(d->count_params(), 3 * 4 + 4);
  d->set_trainable(false);
  EXPECT_TRUE(d->trainable_weights().empty());
  EXPECT_EQ(d->non_trainable_weights().size(), 2u);
}

// Issue 8, bug 5: building explicitly is building. Before, build() created the weights but
// left built() false, so the first call built again and a Dense had 4 weights.
TEST(LayerApi, ExplicitBuildIsTheSameAsBuildingOnFirstCall) {
  lm::clear_session();
  Dense d(4);
  d->build({lm::TensorSpec{lm::Shape{lm::None, 3}}});
  EXPECT_TRUE(d->built());
  ASSERT_EQ(d->weights().size(), 2u);
  const lm::Tensor kernel = d->kernel().value();
  auto y = d(lm::ones({2, 3}));
  ASSERT_EQ(d->weights().size(), 2u);  // one set of weights
  EXPECT_EQ(d->kernel().value().id(), kernel.id());
  EXPECT_SHAPE(y, lm::Shape({2, 4}));
  d->build({lm::TensorSpec{lm::Shape{lm::None, 3}}});  // a second build does nothing
  EXPECT_EQ(d->weights().size(), 2u);
  // Symbolic calls after an explicit build too; and wrappers build their inner layers.
  LSTM lstm(2);
  lstm->build({lm::TensorSpec{lm::Shape{lm::None, 5, 3}}});
  lstm(lm::Input({5, 3}));
  EXPECT_EQ(lstm->weights().size(), 3u);
  Dense inner(2);
  TimeDistributed td(inner);
  td->build({lm::TensorSpec{lm::Shape{lm::None, 5, 3}}});
  EXPECT_TRUE(td->built());
  EXPECT_TRUE(inner->built());
  EXPECT_EQ(inner->kernel().shape(), lm::Shape({3, 2}));
  td(lm::ones({2, 5, 3}));
  EXPECT_EQ(td->weights().size(), 2u);
  Bidirectional bi(GRU(2));
  bi->build({lm::TensorSpec{lm::Shape{lm::None, 4, 3}}});
  EXPECT_TRUE(bi->forward_layer()->built());
  EXPECT_TRUE(bi->backward_layer()->built());
  bi(lm::ones({1, 4, 3}));
  EXPECT_EQ(bi->weights().size(), 6u);
  // Build errors name the layer, also when build() is called directly.
  Dense bad(3, {.name = "explicit_bad"});
  EXPECT_LAMINA_ERROR(bad->build({lm::TensorSpec{lm::Shape{lm::None, lm::None}}}), lm::ShapeError,
                      { EXPECT_THAT(msg, HasSubstr("layer 'explicit_bad' (Dense)")); });
  EXPECT_FALSE(bad->built());
}

TEST(LayerApi, Seed004MaskedLayerWithExplicitMask) {
  auto layer = lm::make_layer<MaskedLayer>();
  auto input = lm::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 0.f}, {6.f, 0.f, 0.f}});
  auto mask = lm::tensor({{1, 1, 1}, {1, 1, 0}, {1, 0, 0}}) != 0;
  auto out = layer(input, {.mask = mask});
  EXPECT_VALUES(out, {1, 2, 3, 4, 5, 0, 6, 0, 0});
  EXPECT_MASK(out, lm::Shape({3, 3}), {true, true, true, true, true, false, true, false, false});
  // The seed passes a float32 mask; Lamina asks for a Bool one and says how to get it.
  auto float_mask = lm::tensor({{1.f, 1.f, 1.f}, {1.f, 1.f, 0.f}, {1.f, 0.f, 0.f}});
  EXPECT_LAMINA_ERROR(layer(input, {.mask = float_mask}), lm::DTypeError, {
    EXPECT_THAT(msg, HasSubstr("masked_layer"));
    EXPECT_THAT(msg, HasSubstr("float32"));
    EXPECT_THAT(msg, HasSubstr("mask != 0"));
  });
}

TEST(LayerApi, LayerWithoutMaskSupportRefusesMaskedInput) {
  lm::clear_session();
  auto layer = lm::make_layer<Doubler>();
  auto x = lm::ones({2, 3}).with_mask(lm::tensor({true, false}));
  EXPECT_LAMINA_ERROR(layer(x), lm::MaskError, {
    EXPECT_THAT(msg, HasSubstr("layer 'doubler' (Doubler)"));
    EXPECT_THAT(msg, HasSubstr("supports_masking"));
    EXPECT_THAT(msg, HasSubstr("without_mask"));
  });
  EXPECT_VALUES(layer(x.without_mask()), {2, 2, 2, 2, 2, 2});  // dropping it explicitly is fine
}

TEST(LayerApi, UndefinedOutputIsAValueErrorNamingTheLayer) {
  lm::clear_session();
  auto layer = lm::make_layer<ReturnsNothing>();
  EXPECT_LAMINA_ERROR(layer(lm::ones({1})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'returns_nothing' (ReturnsNothing)"));
    EXPECT_THAT(msg, HasSubstr("undefined"));
  });
}

TEST(LayerApi, SymbolicCallRecordsOneReplayableNode) {
  lm::clear_session();
  auto x = lm::Input({3}, lm::Float32, "features");
  EXPECT_EQ(x.spec().str(), "float32 (None, 3)");
  EXPECT_EQ(x.node()->op, "input");
  EXPECT_EQ(x.node()->name, "features");
  Dense d(2, {.activation = "relu"});
  auto y = d(x);
  EXPECT_TRUE(y.is_symbolic());
  EXPECT_EQ(y.spec().str(), "float32 (None, 2)");
  ASSERT_TRUE(y.node());
  EXPECT_EQ(y.node()->op, "layer");
  EXPECT_EQ(y.node()->name, "dense");
  d->kernel().assign(lm::tensor({{1.f, -1.f}, {2.f, 0.f}, {0.f, 1.f}}));
  auto replayed = y.node()->replay({lm::tensor({{1.f, 1.f, 1.f}})});
  EXPECT_VALUES(replayed[0], {3, 0});  // relu([3, 0])
}

TEST(LayerApi, InputRejectsNegativeDimensions) {
  EXPECT_LAMINA_ERROR(lm::Input({10, -3}), lm::ShapeError, { EXPECT_THAT(msg, HasSubstr("(10, -3)")); });
  EXPECT_EQ(lm::Input({lm::None, 8}, lm::Int32).spec().str(), "int32 (None, None, 8)");
}

TEST(LayerApi, TrainingFlagFollowsTheLearningPhase) {
  Dropout drop(0.5, {.seed = 3});
  auto x = lm::ones({1000});
  EXPECT_VALUES(drop(x), std::vector<double>(1000, 1.0));  // inference: identity
  lm::LearningPhase training(true);
  auto y = drop(x).to_vector<float>();
  int zeros = 0;
  for (float v : y) zeros += v == 0.f;
  EXPECT_GT(zeros, 400);
  EXPECT_LT(zeros, 600);
  EXPECT_VALUES(drop(x, {.training = false}), std::vector<double>(1000, 1.0));
}

TEST(LayerApi, GetConfigDescribesTheLayer) {
  lm::clear_session();
  Dense d(5, {.activation = "tanh", .use_bias = false});
  auto c = d->get_config();
  EXPECT_EQ(c["type"], "Dense");
  EXPECT_EQ(c["name"], "dense");
  EXPECT_EQ(c["units"], 5);
  EXPECT_EQ(c["activation"], "tanh");
  EXPECT_EQ(c["use_bias"], false);
  EXPECT_EQ(c["kernel_initializer"], "glorot_uniform");
}
