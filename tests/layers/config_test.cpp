// layer_from_config: every built-in layer rebuilt from its config has the same config and,
// given the original's weights, computes the same outputs. Plus the error cases, a custom
// layer type and registered Lambdas.
#include <set>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

lm::Tensor normal(const lm::Shape& shape, std::uint64_t seed) { return lm::random_normal(shape, {.seed = seed}); }

// (2, 4, 3) with the second sequence padded after two steps.
lm::Tensor masked_sequences() {
  return normal({2, 4, 3}, 1).with_mask(lm::tensor({{true, true, true, true}, {true, true, false, false}}));
}

// A custom layer as a user would write one: an option, a weight, and a get_config.
class ScaleLayer : public lm::Layer {
 public:
  explicit ScaleLayer(double factor, std::string name = "") : Layer("CfgScale", std::move(name)), factor_(factor) {}
  void on_build(const std::vector<lm::TensorSpec>& specs) override {
    const lm::Shape& s = specs.at(0).shape;
    offset_ = add_weight("offset", lm::Shape{s[s.rank() - 1]}, lm::initializers::random_normal());
  }
  lm::Tensor call(const lm::Tensor& x, const lm::Tensor&, bool) override { return x * factor_ + offset_.value(); }
  lm::Json get_config() const override {
    lm::Json c = Layer::get_config();
    c["factor"] = factor_;
    return c;
  }

 private:
  double factor_;
  lm::Variable offset_;
};

void register_test_types() {
  register_layer("CfgScale", [](const lm::Json& config) -> lm::LayerRef {
    ConfigReader c(config);
    return lm::make_layer<ScaleLayer>(c.number("factor"), c.name());
  });
  register_lambda("cfg_scale_shift", [](const lm::Tensor& x) { return x * 2 + 1; });
  register_lambda("cfg_weighted_pair", [](const lm::TensorList& xs) { return xs.at(0) - xs.at(1) * 0.5; });
}

// config -> text -> layer_from_config gives the same config; once both layers are built on
// `inputs` and the copy has the original's weights (assigned in order), the outputs and
// their masks are the same.
void expect_round_trip(const lm::LayerRef& original, const lm::TensorList& inputs) {
  SCOPED_TRACE(original->type() + " '" + original->name() + "'");
  const lm::Json config = original->get_config();
  lm::LayerRef copy = layer_from_config(lm::Json::parse(config.dump()));  // as if saved and loaded
  EXPECT_EQ(copy->get_config(), config);
  EXPECT_EQ(copy->type(), original->type());
  EXPECT_EQ(copy->name(), original->name());
  EXPECT_EQ(copy->trainable(), original->trainable());

  const lm::TensorList expected = (*original)(inputs);
  (*copy)(inputs);  // builds the copy, with its own initial weights
  const auto from = original->weights(), to = copy->weights();
  ASSERT_EQ(to.size(), from.size());
  for (std::size_t i = 0; i < from.size(); ++i) {
    EXPECT_EQ(to[i].name(), from[i].name());
    EXPECT_EQ(to[i].trainable(), from[i].trainable());
    to[i].assign(from[i].value());
  }
  const lm::TensorList got = (*copy)(inputs);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("output " + std::to_string(i));
    EXPECT_SHAPE(got[i], expected[i].shape());
    EXPECT_VALUES(got[i], expected[i].to_vector<double>(), 1e-6);
    ASSERT_EQ(got[i].has_mask(), expected[i].has_mask());
    if (got[i].has_mask()) {
      EXPECT_MASK(got[i], expected[i].mask().shape(), expected[i].mask().to_vector<bool>());
    }
  }
}

struct Case {
  lm::LayerRef layer;
  lm::TensorList inputs;
};

// Every built-in layer, with options away from their defaults.
std::vector<Case> builtin_cases() {
  register_test_types();
  const lm::Tensor seqs = masked_sequences();
  std::vector<Case> cases;
  auto add = [&](lm::LayerRef layer, lm::TensorList inputs) { cases.push_back({std::move(layer), std::move(inputs)}); };

  add(Dense(5, {.activation = "tanh",
                .kernel_initializer = "he_normal",
                .bias_initializer = "random_normal",
                .name = "cfg_dense"}),
      {normal({2, 3, 4}, 2)});
  Dense frozen(3, {.use_bias = false, .kernel_initializer = "lecun_normal", .name = "cfg_dense_frozen"});
  frozen->set_trainable(false);
  add(frozen, {normal({2, 4}, 3)});
  add(Embedding(10, 4, {.mask_zero = true, .embeddings_initializer = "random_normal", .name = "cfg_embedding"}),
      {lm::tensor({{1, 2, 0}, {3, 0, 0}}, lm::Int32)});
  add(Masking({.mask_value = 0.5, .name = "cfg_masking"}), {lm::tensor({{{0.5f, 0.5f}, {1.f, 2.f}}})});
  add(Dropout(0.4, {.seed = 7, .name = "cfg_dropout"}), {normal({2, 3}, 4)});
  add(Activation("softsign", "cfg_activation"), {normal({2, 3}, 5)});
  add(Flatten("cfg_flatten"), {normal({2, 3, 4}, 6)});
  add(Reshape(lm::Shape{-1, 2}, "cfg_reshape"), {normal({2, 3, 4}, 7)});
  add(RepeatVector(3, "cfg_repeat_vector"), {normal({2, 4}, 8)});
  add(TimeDistributed(Dense(3, {.activation = "relu", .bias_initializer = "random_uniform", .name = "cfg_td_dense"}),
                      "cfg_td"),
      {seqs});
  add(Lambda("cfg_scale_shift", {.output_shape = lm::Shape{4, 3}, .mask = false, .name = "cfg_lambda"}), {seqs});
  add(Lambda("cfg_weighted_pair", {.name = "cfg_lambda_list"}), {normal({2, 3}, 9), normal({2, 3}, 10)});
  add(SimpleRNN(4, {.activation = "relu",
                    .return_sequences = true,
                    .go_backwards = true,
                    .zero_output_for_mask = true,
                    .dropout = 0.1,
                    .recurrent_dropout = 0.2,
                    .kernel_initializer = "glorot_normal",
                    .recurrent_initializer = "he_uniform",
                    .bias_initializer = "random_normal",
                    .name = "cfg_simple_rnn"}),
      {seqs});
  add(LSTM(3, {.activation = "softsign",
               .recurrent_activation = "hard_sigmoid",
               .return_sequences = true,
               .return_state = true,
               .bias_initializer = "random_uniform",
               .unit_forget_bias = false,
               .name = "cfg_lstm"}),
      {seqs});
  add(GRU(3, {.use_bias = true,
              .return_state = true,
              .go_backwards = true,
              .bias_initializer = "random_normal",
              .reset_after = false,
              .name = "cfg_gru"}),
      {seqs});
  add(Bidirectional(GRU(2, {.return_sequences = true, .bias_initializer = "random_normal", .name = "cfg_bi_gru"}),
                    {.merge_mode = "ave", .name = "cfg_bidirectional"}),
      {seqs});
  Bidirectional frozen_bi(LSTM(2, {.return_state = true, .name = "cfg_bi_lstm"}),
                          {.merge_mode = "mul", .name = "cfg_bidirectional_frozen"});
  frozen_bi->set_trainable(false);
  add(frozen_bi, {seqs});
  add(GlobalAveragePooling1D({.data_format = "channels_first", .keepdims = true, .name = "cfg_gap"}),
      {normal({2, 3, 5}, 11)});
  add(GlobalMaxPooling1D({.keepdims = true, .name = "cfg_gmp"}), {seqs});
  const lm::TensorList pair = {normal({2, 3}, 12), normal({2, 3}, 13)};
  add(Add({.name = "cfg_add"}), {pair[0], pair[1], normal({2, 3}, 14)});
  add(Subtract({.name = "cfg_subtract"}), pair);
  add(Multiply({.name = "cfg_multiply"}), pair);
  add(Average({.name = "cfg_average"}), pair);
  add(Maximum({.name = "cfg_maximum"}), pair);
  add(Minimum({.name = "cfg_minimum"}), pair);
  add(Concatenate(1, {.name = "cfg_concatenate"}), {normal({2, 2, 3}, 15), normal({2, 4, 3}, 16)});
  add(Attention({.use_scale = true,
                 .score_mode = "concat",
                 .dropout = 0.2,
                 .seed = 3,
                 .use_causal_mask = true,
                 .return_attention_scores = true,
                 .name = "cfg_attention"}),
      {normal({2, 4, 3}, 17), seqs, normal({2, 4, 3}, 18)});
  add(MultiHeadAttention(2, 3,
                         {.value_dim = 4,
                          .dropout = 0.1,
                          .output_shape = 5,
                          .kernel_initializer = "he_uniform",
                          .bias_initializer = "random_normal",
                          .seed = 9,
                          .use_causal_mask = true,
                          .return_attention_scores = true,
                          .name = "cfg_mha"}),
      {seqs, normal({2, 4, 6}, 19), normal({2, 4, 2}, 20)});
  // Without a seed its weights come from the global stream, so the copy's differ until assigned.
  add(MultiHeadAttention(3, 2, {.use_bias = false, .name = "cfg_mha_unseeded"}), {seqs, normal({2, 5, 4}, 23)});
  add(Conv1D(6, 3,
             {.strides = 2,
              .padding = "causal",
              .dilation_rate = 2,
              .groups = 3,
              .activation = "relu",
              .kernel_initializer = "he_uniform",
              .bias_initializer = "random_normal",
              .name = "cfg_conv1d"}),
      {normal({2, 7, 6}, 25).with_mask(lm::tensor({{true, true, true, true, true, false, false},
                                                   {true, true, true, true, true, true, true}}))});
  add(Conv1D(2, 2, {.padding = "same", .data_format = "channels_first", .use_bias = false, .name = "cfg_conv1d_cf"}),
      {normal({2, 3, 5}, 26)});
  add(MaxPooling1D(3, {.strides = 1, .padding = "same", .name = "cfg_max_pool"}), {seqs});
  add(AveragePooling1D(2, {.data_format = "channels_first", .name = "cfg_avg_pool"}), {normal({2, 3, 5}, 27)});
  add(SpatialDropout1D(0.3, {.seed = 5, .name = "cfg_spatial_dropout"}), {seqs});
  add(GaussianNoise(0.2, {.seed = 6, .name = "cfg_gaussian_noise"}), {seqs});
  add(Identity("cfg_identity"), {seqs});
  add(Permute({2, 1}, "cfg_permute"), {seqs});
  add(Cropping1D({1, 2}, "cfg_cropping"), {seqs});
  add(ZeroPadding1D({2, 1}, "cfg_zero_padding"), {seqs});
  add(UpSampling1D(3, "cfg_up_sampling"), {seqs});
  add(LayerNormalization({.axis = {1, 2},
                          .epsilon = 1e-2,
                          .center = false,
                          .gamma_initializer = "random_normal",
                          .name = "cfg_layer_norm"}),
      {normal({2, 3, 4}, 21)});
  add(LayerNormalization({.rms_scaling = true, .gamma_initializer = "random_uniform", .name = "cfg_rms_norm"}),
      {normal({2, 3, 4}, 24)});
  add(BatchNormalization({.axis = 1,
                          .momentum = 0.8,
                          .epsilon = 1e-2,
                          .beta_initializer = "random_normal",
                          .gamma_initializer = "random_uniform",
                          .moving_mean_initializer = "random_normal",
                          .name = "cfg_batch_norm"}),
      {normal({2, 3, 4}, 22)});
  return cases;
}

// clang-format off
const std::vector<std::string> kBuiltinTypes = {
    "Activation", "Add", "Attention", "Average", "AveragePooling1D", "BatchNormalization", "Bidirectional",
    "Concatenate", "Conv1D", "Cropping1D", "Dense", "Dropout", "Embedding", "Flatten", "GRU", "GaussianNoise",
    "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Identity", "LSTM", "Lambda", "LayerNormalization", "Masking",
    "MaxPooling1D", "Maximum", "Minimum", "MultiHeadAttention", "Multiply", "Permute", "RepeatVector", "Reshape",
    "SimpleRNN", "SpatialDropout1D", "Subtract", "TimeDistributed", "UpSampling1D", "ZeroPadding1D"};
// clang-format on

}  // namespace

TEST(LayerFromConfig, EveryBuiltInLayerRoundTrips) {
  std::set<std::string> covered;
  for (const Case& c : builtin_cases()) {
    expect_round_trip(c.layer, c.inputs);
    covered.insert(c.layer->type());
  }
  EXPECT_EQ(covered, std::set<std::string>(kBuiltinTypes.begin(), kBuiltinTypes.end()));
  std::vector<std::string> registered = registered_layer_types();
  for (const auto& type : kBuiltinTypes) EXPECT_THAT(registered, ::testing::Contains(type));
}

// The seed is part of the config, so a rebuilt layer draws the same dropout masks.
TEST(LayerFromConfig, SeededDropoutDrawsTheSameMasks) {
  Dropout original(0.5, {.seed = 11, .name = "cfg_seeded_dropout"});
  lm::LayerRef copy = layer_from_config(original->get_config());
  const lm::Tensor x = lm::ones({4, 8});
  const lm::Tensor expected = original(x, {.training = true});
  EXPECT_VALUES((*copy)(x, {.training = true}), expected.to_vector<double>());

  Attention attention({.dropout = 0.5, .seed = 5, .name = "cfg_seeded_attention"});
  lm::LayerRef attention_copy = layer_from_config(attention->get_config());
  const lm::TensorList qv = {normal({2, 3, 4}, 30), normal({2, 3, 4}, 31)};
  const lm::Tensor attended = attention(qv, {.training = true}).at(0);
  EXPECT_VALUES((*attention_copy)(qv, {.training = true}).at(0), attended.to_vector<double>(), 1e-6);
}

// ---- custom types and Lambdas ----

TEST(LayerFromConfig, CustomLayerTypeRoundTrips) {
  register_test_types();
  EXPECT_THAT(registered_layer_types(), ::testing::Contains("CfgScale"));
  expect_round_trip(lm::make_layer<ScaleLayer>(1.5, "cfg_scale"), {normal({2, 3}, 40)});
  // Nested in a wrapper, it is found by the recursive rebuild too.
  auto frozen = lm::make_layer<ScaleLayer>(-2.0, "cfg_scale_frozen");
  frozen->set_trainable(false);
  expect_round_trip(TimeDistributed(frozen, "cfg_td_scale"), {normal({2, 4, 3}, 41)});
}

TEST(LayerFromConfig, RegisteredLambdaRoundTrips) {
  register_test_types();
  Lambda squash("cfg_scale_shift", {.name = "cfg_lambda_named"});
  EXPECT_EQ(squash->get_config()["function"], "cfg_scale_shift");
  EXPECT_EQ(squash->function_name(), "cfg_scale_shift");
  lm::LayerRef copy = layer_from_config(squash->get_config());
  EXPECT_VALUES((*copy)(lm::tensor({1.f, -2.f})), {3, -3});
  EXPECT_THAT(registered_lambda_names(), ::testing::Contains("cfg_scale_shift"));
  // A Lambda made from a callable records no name.
  EXPECT_TRUE(Lambda([](const lm::Tensor& x) { return x; })->get_config()["function"].is_null());
}

// ---- errors ----

TEST(LayerFromConfig, UnknownTypeListsTheKnownOnes) {
  lm::Json config = {{"type", "Dence"}, {"name", "cfg_typo"}, {"trainable", true}, {"units", 3}};
  EXPECT_LAMINA_ERROR(layer_from_config(config), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer_from_config(Dence 'cfg_typo')"));
    EXPECT_THAT(msg, HasSubstr("unknown layer type 'Dence'"));
    EXPECT_THAT(msg, HasSubstr("Dense, Dropout, Embedding"));
    EXPECT_THAT(msg, HasSubstr("register_layer(\"Dence\", factory)"));
  });
}

TEST(LayerFromConfig, ConfigMustBeAnObjectWithAType) {
  EXPECT_LAMINA_ERROR(layer_from_config(lm::Json::array({1, 2})), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("a layer config must be a JSON object")); });
  EXPECT_LAMINA_ERROR(layer_from_config(lm::Json{{"name", "x"}}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("needs a string field 'type'"));
    EXPECT_THAT(msg, HasSubstr("fields name"));
  });
  EXPECT_LAMINA_ERROR(layer_from_config(lm::Json{{"type", 3}}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("'type': 3 (number)")); });
}

TEST(LayerFromConfig, MissingRequiredFieldIsNamed) {
  lm::Json config = Dense(4, {.name = "cfg_missing"})->get_config();
  config.erase("units");  // no default: required
  EXPECT_LAMINA_ERROR(layer_from_config(config), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer_from_config(Dense 'cfg_missing')"));
    EXPECT_THAT(msg, HasSubstr("the Dense config is missing field 'units'"));
    EXPECT_THAT(msg, HasSubstr("hint:"));
  });
  // Fields with a default take it: trainable is true, use_bias the Dense default.
  config = Dense(4, {.use_bias = false})->get_config();
  config.erase("trainable");
  config.erase("use_bias");
  lm::LayerRef d = layer_from_config(config);
  EXPECT_TRUE(d->trainable());
  EXPECT_EQ(d->get_config()["use_bias"], true);
}

TEST(LayerFromConfig, MistypedFieldsAreNamed) {
  const lm::Json dense = Dense(4, {.name = "cfg_mistyped"})->get_config();
  auto expect_field_error = [](const lm::Json& config, const std::string& problem, const std::string& expected) {
    EXPECT_LAMINA_ERROR(layer_from_config(config), lm::ValueError, {
      EXPECT_THAT(msg, HasSubstr(problem));
      EXPECT_THAT(msg, HasSubstr("expected: " + expected));
    });
  };
  lm::Json c = dense;
  c["units"] = "4";
  expect_field_error(c, "field 'units' of the Dense config has the wrong type", "an integer");
  EXPECT_LAMINA_ERROR(layer_from_config(c), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("\"4\" (string)")); });
  c["units"] = 4.5;  // not silently truncated to 4
  expect_field_error(c, "field 'units' of the Dense config has the wrong type", "an integer");
  c = dense;
  c["use_bias"] = 1;
  expect_field_error(c, "field 'use_bias' of the Dense config has the wrong type", "true or false");
  c = dense;
  c["trainable"] = "yes";
  expect_field_error(c, "field 'trainable' of the Dense config has the wrong type", "true or false");
  c = dense;
  c["kernel_initializer"] = "glorot_unifrom";
  expect_field_error(c, "field 'kernel_initializer' of the Dense config names an unknown initializer",
                     "one of zeros, ones");
  c = dense;
  c["activation"] = 7;
  expect_field_error(c, "field 'activation' of the Dense config has the wrong type", "a string");

  lm::Json reshape = Reshape(lm::Shape{2, 3})->get_config();
  reshape["target_shape"] = lm::Json::array({2, "x"});
  expect_field_error(reshape, "field 'target_shape' of the Reshape config has the wrong type", "a list of integers");
  lm::Json dropout = Dropout(0.5, {.seed = 1})->get_config();
  dropout["seed"] = -1;
  expect_field_error(dropout, "field 'seed' of the Dropout config has the wrong type", "a non-negative integer seed");
}

TEST(LayerFromConfig, NestedErrorsSayWhere) {
  lm::Json config = TimeDistributed(Dense(2, {.name = "cfg_inner"}), "cfg_outer")->get_config();
  config["layer"].erase("units");
  EXPECT_LAMINA_ERROR(layer_from_config(config), lm::ValueError, {
    EXPECT_THAT(msg,
                HasSubstr("layer_from_config(TimeDistributed 'cfg_outer') > layer_from_config(Dense 'cfg_inner')"));
    EXPECT_THAT(msg, HasSubstr("missing field 'units'"));
  });
  config = TimeDistributed(Dense(2), "cfg_outer2")->get_config();
  config["layer"] = "Dense";
  EXPECT_LAMINA_ERROR(layer_from_config(config), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'layer' of the TimeDistributed config has the wrong type"));
  });
}

TEST(LayerFromConfig, CallableInitializerIsNotSilentlyReplaced) {
  Dense dense(2, {.kernel_initializer = lm::InitializerSpec(lm::initializers::zeros()), .name = "cfg_init_fn"});
  ASSERT_EQ(dense->get_config()["kernel_initializer"], "custom");
  EXPECT_LAMINA_ERROR(layer_from_config(dense->get_config()), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'kernel_initializer' of the Dense config is \"custom\""));
    EXPECT_THAT(msg, HasSubstr("given as a callable"));
    EXPECT_THAT(msg, HasSubstr("hint: create the layer with a named initializer"));
  });
  LSTM lstm(2, {.recurrent_initializer = lm::InitializerSpec(lm::initializers::orthogonal(0.5))});
  EXPECT_LAMINA_ERROR(layer_from_config(lstm->get_config()), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'recurrent_initializer' of the LSTM config is \"custom\""));
  });
}

TEST(LayerFromConfig, CallableActivationIsNotSilentlyReplaced) {
  Dense dense(2, {.activation = [](const lm::Tensor& x) { return x * 2; }, .name = "cfg_act_fn"});
  ASSERT_EQ(dense->get_config()["activation"], "custom");
  EXPECT_LAMINA_ERROR(layer_from_config(dense->get_config()), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'activation' of the Dense config is \"custom\""));
    EXPECT_THAT(msg, HasSubstr("the activation was given as a callable"));
  });
  Activation act([](const lm::Tensor& x) { return x; });
  EXPECT_LAMINA_ERROR(layer_from_config(act->get_config()), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("field 'activation' of the Activation config is \"custom\"")); });
}

TEST(LayerFromConfig, LambdaNeedsARegisteredFunction) {
  Lambda anonymous([](const lm::Tensor& x) { return x; }, {.name = "cfg_anonymous"});
  EXPECT_LAMINA_ERROR(layer_from_config(anonymous->get_config()), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'function' of the Lambda config is null"));
    EXPECT_THAT(msg, HasSubstr("created from a callable"));
    EXPECT_THAT(msg, HasSubstr("register_lambda(\"my_fn\", fn)"));
    EXPECT_THAT(msg, HasSubstr("Lambda(\"my_fn\", options)"));
  });
  lm::Json config = anonymous->get_config();
  config["function"] = "cfg_never_registered";
  EXPECT_LAMINA_ERROR(layer_from_config(config), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("no Lambda function is registered under 'cfg_never_registered'"));
    EXPECT_THAT(msg, HasSubstr("register_lambda(\"cfg_never_registered\", fn)"));
  });
  EXPECT_LAMINA_ERROR(Lambda("cfg_never_registered", {.name = "cfg_direct"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'cfg_direct' (Lambda)"));
    EXPECT_THAT(msg, HasSubstr("no Lambda function is registered"));
  });
  // A mask function is a callable too.
  register_test_types();
  Lambda masked("cfg_scale_shift", {.mask = [](const lm::TensorList&, const lm::TensorList& m) { return m.at(0); }});
  EXPECT_LAMINA_ERROR(layer_from_config(masked->get_config()), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'mask' of the Lambda config is \"function\""));
    EXPECT_THAT(msg, HasSubstr("rebuild this Lambda in code"));
  });
}

TEST(LayerFromConfig, BidirectionalChecksItsLayers) {
  const lm::Json bi = Bidirectional(LSTM(3, {.name = "cfg_bi_fwd"}), {.name = "cfg_bi"})->get_config();
  lm::Json c = bi;
  c["layer"] = Dense(3)->get_config();
  EXPECT_LAMINA_ERROR(layer_from_config(c), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'layer' of the Bidirectional config is not a recurrent layer"));
    EXPECT_THAT(msg, HasSubstr("found:    a Dense config"));
  });
  c = bi;
  c["backward_layer"] = Dense(3)->get_config();
  EXPECT_LAMINA_ERROR(layer_from_config(c), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'backward_layer' of the Bidirectional config is not a recurrent layer"));
  });
  c = bi;
  c["backward_layer"]["go_backwards"] = false;  // checked like a backward_layer given in code
  EXPECT_LAMINA_ERROR(layer_from_config(c), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("backward_layer runs in the same direction")); });
  c = bi;
  c["backward_layer"]["units"] = 5;  // another size is a legitimate backward_layer (concat)
  auto wider = std::dynamic_pointer_cast<lm::layers::BidirectionalLayer>(layer_from_config(c).ptr());
  ASSERT_TRUE(wider);
  EXPECT_EQ(wider->backward_layer()->units(), 5);
  EXPECT_EQ((*wider)(lm::ones({2, 4, 6})).shape(), lm::Shape({2, 8}));
  c = bi;
  c.erase("backward_layer");  // optional: then derived from "layer"
  EXPECT_EQ(layer_from_config(c)->get_config(), bi);
}

TEST(LayerFromConfig, CustomFactoryJsonErrorsBecomeValueErrors) {
  register_layer("CfgStrict", [](const lm::Json& config) -> lm::LayerRef {
    return lm::make_layer<ScaleLayer>(config.at("factor").get<double>(), config.at("name").get<std::string>());
  });
  lm::Json config = {{"type", "CfgStrict"}, {"name", "cfg_strict"}, {"trainable", true}};
  EXPECT_LAMINA_ERROR(layer_from_config(config), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("the CfgStrict factory could not read its config"));
    EXPECT_THAT(msg, HasSubstr("key 'factor' not found"));
  });
  config["factor"] = "big";
  EXPECT_LAMINA_ERROR(layer_from_config(config), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("type must be number")); });
  config["factor"] = 2;
  EXPECT_EQ(layer_from_config(config)->type(), "CfgScale");

  register_layer("CfgEmpty", [](const lm::Json&) { return lm::LayerRef(); });
  EXPECT_LAMINA_ERROR(layer_from_config(lm::Json{{"type", "CfgEmpty"}, {"name", "e"}, {"trainable", true}}),
                      lm::ValueError, { EXPECT_THAT(msg, HasSubstr("returned an empty layer handle")); });
  EXPECT_LAMINA_ERROR(register_layer("CfgNothing", nullptr), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("an empty factory for 'CfgNothing'")); });
  EXPECT_LAMINA_ERROR(register_lambda("", [](const lm::Tensor& x) { return x; }), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("an empty name")); });
}
