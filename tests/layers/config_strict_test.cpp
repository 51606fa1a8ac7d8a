// Strict and complete configs (issue 8, bug 6): unknown fields are ValueErrors naming the
// type, the field and the nearest known field; Keras options Lamina does not support say
// so unless they hold the value meaning Lamina's behaviour; missing fields take defaults.
#include "lamina/layers/registry.hpp"
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

TEST(ConfigStrict, UnknownFieldNamesTheTypeTheFieldAndTheNearestKnownOne) {
  lm::Json dense = {{"type", "Dense"}, {"units", 4}, {"use_bais", false}};
  EXPECT_LAMINA_ERROR(layer_from_config(dense), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'use_bais' of the Dense config is not a Dense option"));
    EXPECT_THAT(msg, HasSubstr("use_bias"));
    EXPECT_THAT(msg, HasSubstr("hint: did you mean 'use_bias'?"));
  });
  lm::Json lstm = LSTM(3)->get_config();
  lstm["recurent_dropout"] = 0.1;
  EXPECT_LAMINA_ERROR(layer_from_config(lstm), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'recurent_dropout' of the LSTM config is not a LSTM option"));
    EXPECT_THAT(msg, HasSubstr("did you mean 'recurrent_dropout'?"));
  });
  // Far from every known field: still names the nearest one.
  lm::Json far = {{"type", "Dropout"}, {"rate", 0.5}, {"completely_unrelated", 1}};
  EXPECT_LAMINA_ERROR(layer_from_config(far), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("field 'completely_unrelated' of the Dropout config is not a Dropout option"));
    EXPECT_THAT(msg, HasSubstr("the nearest known field is"));
  });
  // Inside a wrapper, the nested layer's field is named with where it sits.
  lm::Json td = TimeDistributed(Dense(2, {.name = "strict_inner"}), "strict_outer")->get_config();
  td["layer"]["kernel_initialiser"] = "zeros";
  EXPECT_LAMINA_ERROR(layer_from_config(td), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer_from_config(Dense 'strict_inner')"));
    EXPECT_THAT(msg, HasSubstr("did you mean 'kernel_initializer'?"));
  });
}

TEST(ConfigStrict, AMisspeltRequiredFieldIsSuggested) {
  lm::Json dense = {{"type", "Dense"}, {"unit", 4}};
  EXPECT_LAMINA_ERROR(layer_from_config(dense), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("the Dense config is missing field 'units'"));
    EXPECT_THAT(msg, HasSubstr("the config has 'unit': is it 'units' misspelt?"));
  });
}

TEST(ConfigStrict, UnsupportedKerasOptionsSaySo) {
  struct Option {
    const char* field;
    lm::Json value;
    const char* hint;
  };
  for (const auto& [field, value, hint] :
       {Option{"stateful", true, "initial_state"}, Option{"unroll", true, "only changes speed"},
        Option{"time_major", true, "lm::transpose"}, Option{"kernel_regularizer", "l2", "regularizers"},
        Option{"recurrent_constraint", "non_neg", "constraints"}, Option{"dtype", "float16", "lm::cast"}}) {
    SCOPED_TRACE(field);
    lm::Json c = LSTM(3)->get_config();
    c[field] = value;
    EXPECT_LAMINA_ERROR(layer_from_config(c), lm::ValueError, {
      EXPECT_THAT(msg, HasSubstr(std::string("field '") + field +
                                 "' of the LSTM config is a Keras option that Lamina does not support"));
      EXPECT_THAT(msg, HasSubstr(hint));
    });
  }
  // With the value meaning what Lamina does, Keras's own config builds.
  lm::Json keras_lstm = {{"type", "LSTM"},
                         {"name", "strict_keras_lstm"},
                         {"trainable", true},
                         {"dtype", {{"module", "keras"}, {"class_name", "DTypePolicy"}, {"config", {{"name", "float32"}}}}},
                         {"return_sequences", true},
                         {"return_state", false},
                         {"go_backwards", false},
                         {"stateful", false},
                         {"unroll", false},
                         {"zero_output_for_mask", false},
                         {"units", 5},
                         {"activation", "tanh"},
                         {"recurrent_activation", "sigmoid"},
                         {"use_bias", true},
                         {"unit_forget_bias", true},
                         {"kernel_regularizer", nullptr},
                         {"recurrent_regularizer", nullptr},
                         {"bias_regularizer", nullptr},
                         {"activity_regularizer", nullptr},
                         {"kernel_constraint", nullptr},
                         {"recurrent_constraint", nullptr},
                         {"bias_constraint", nullptr},
                         {"dropout", 0.0},
                         {"recurrent_dropout", 0.0},
                         {"seed", nullptr}};
  lm::LayerRef lstm = layer_from_config(keras_lstm);
  EXPECT_EQ(lstm->type(), "LSTM");
  EXPECT_EQ(lstm->get_config()["units"], 5);
  EXPECT_EQ(lstm->get_config()["return_sequences"], true);
  EXPECT_SHAPE((*lstm)(lm::ones({2, 4, 3})), lm::Shape({2, 4, 5}));
}

// A minimal config -- the type and the options without a default -- builds the same layer
// as the constructor with its defaults (compared through get_config, name aside).
TEST(ConfigStrict, MinimalConfigsBuildWithTheLayersDefaults) {
  struct Case {
    lm::Json minimal;
    lm::LayerRef in_code;
  };
  register_lambda("strict_identity", [](const lm::Tensor& x) { return x; });
  const std::vector<Case> cases = {
      {{{"type", "Dense"}, {"units", 4}}, Dense(4)},
      {{{"type", "Embedding"}, {"input_dim", 10}, {"output_dim", 3}}, Embedding(10, 3)},
      {{{"type", "Masking"}}, Masking()},
      {{{"type", "Dropout"}, {"rate", 0.3}}, Dropout(0.3)},
      {{{"type", "Activation"}, {"activation", "relu"}}, Activation("relu")},
      {{{"type", "Flatten"}}, Flatten()},
      {{{"type", "Reshape"}, {"target_shape", {2, 3}}}, Reshape(lm::Shape{2, 3})},
      {{{"type", "RepeatVector"}, {"n", 3}}, RepeatVector(3)},
      {{{"type", "TimeDistributed"}, {"layer", {{"type", "Dense"}, {"units", 2}}}}, TimeDistributed(Dense(2))},
      {{{"type", "Lambda"}, {"function", "strict_identity"}}, Lambda("strict_identity")},
      {{{"type", "SimpleRNN"}, {"units", 3}}, SimpleRNN(3)},
      {{{"type", "LSTM"}, {"units", 3}}, LSTM(3)},
      {{{"type", "GRU"}, {"units", 3}}, GRU(3)},
      {{{"type", "Bidirectional"}, {"layer", {{"type", "LSTM"}, {"units", 2}}}}, Bidirectional(LSTM(2))},
      {{{"type", "GlobalAveragePooling1D"}}, GlobalAveragePooling1D()},
      {{{"type", "GlobalMaxPooling1D"}}, GlobalMaxPooling1D()},
      {{{"type", "Add"}}, Add()},
      {{{"type", "Subtract"}}, Subtract()},
      {{{"type", "Multiply"}}, Multiply()},
      {{{"type", "Average"}}, Average()},
      {{{"type", "Maximum"}}, Maximum()},
      {{{"type", "Minimum"}}, Minimum()},
      {{{"type", "Concatenate"}}, Concatenate()},
      {{{"type", "Attention"}}, Attention()},
      {{{"type", "MultiHeadAttention"}, {"num_heads", 2}, {"key_dim", 4}}, MultiHeadAttention(2, 4)},
      {{{"type", "LayerNormalization"}}, LayerNormalization()},
      {{{"type", "BatchNormalization"}}, BatchNormalization()},
      {{{"type", "Conv1D"}, {"filters", 4}, {"kernel_size", 3}}, Conv1D(4, 3)},
      {{{"type", "Conv1D"}, {"filters", 4}, {"kernel_size", {3}}, {"strides", {2}}}, Conv1D(4, 3, {.strides = 2})},
      {{{"type", "MaxPooling1D"}}, MaxPooling1D()},
      {{{"type", "AveragePooling1D"}, {"pool_size", {3}}}, AveragePooling1D(3)},
      {{{"type", "SpatialDropout1D"}, {"rate", 0.2}}, SpatialDropout1D(0.2)},
      {{{"type", "GaussianNoise"}, {"stddev", 0.1}}, GaussianNoise(0.1)},
      {{{"type", "Identity"}}, Identity()},
      {{{"type", "Permute"}, {"dims", {2, 1}}}, Permute({2, 1})},
      {{{"type", "Cropping1D"}}, Cropping1D()},
      {{{"type", "Cropping1D"}, {"cropping", 2}}, Cropping1D({2, 2})},
      {{{"type", "ZeroPadding1D"}, {"padding", {0, 3}}}, ZeroPadding1D({0, 3})},
      {{{"type", "UpSampling1D"}}, UpSampling1D()},
  };
  // Drops the names (fresh unique names differ) everywhere, nested layers included.
  std::function<lm::Json(lm::Json)> unnamed = [&](lm::Json c) {
    c.erase("name");
    for (const char* nested : {"layer", "backward_layer"})
      if (c.contains(nested)) c[nested] = unnamed(c[nested]);
    return c;
  };
  for (const auto& [minimal, in_code] : cases) {
    SCOPED_TRACE(minimal.dump());
    lm::LayerRef built = layer_from_config(minimal);
    EXPECT_EQ(unnamed(built->get_config()), unnamed(in_code->get_config()));
    EXPECT_TRUE(built->trainable());
  }
}
