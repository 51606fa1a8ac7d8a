// Adversarial inputs and options for every layer: bad input must raise the right typed
// lamina error naming the layer ("layer 'name' (Type)"), never crash, hang or allocate
// without bound; legitimate edge cases (empty batches, empty sequences) must give
// correctly shaped results. Run under the sanitize preset to catch memory errors.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

// Expects `stmt` to throw ErrorType whose message names layer `who` ("layer 'x' (Dense)"),
// says what was expected and found, and hints at a fix (DESIGN.md section 3).
#define EXPECT_NAMED_ERROR(stmt, ErrorType, who)         \
  EXPECT_LAMINA_ERROR(stmt, ErrorType, {                 \
    EXPECT_THAT(msg, HasSubstr(who)) << msg;             \
    EXPECT_THAT(msg, HasSubstr("expected:")) << msg;     \
    EXPECT_THAT(msg, HasSubstr("found:")) << msg;        \
    EXPECT_THAT(msg, HasSubstr("hint:")) << msg;         \
  })

const double kNaN = std::numeric_limits<double>::quiet_NaN();

lm::Tensor iota(const lm::Shape& shape, float scale = 0.1f) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = scale * static_cast<float>(i + 1);
  return lm::tensor(v, shape);
}

bool all_zero(const lm::Tensor& t) {
  for (double v : t.to_vector<double>())
    if (v != 0.0) return false;
  return true;
}

// ---- constructor options ------------------------------------------------------------------

TEST(AdversarialOptions, NonPositiveSizesNameTheLayer) {
  EXPECT_NAMED_ERROR(Dense(0, {.name = "d0"}), lm::ValueError, "layer 'd0' (Dense)");
  EXPECT_NAMED_ERROR(Dense(-3, {.name = "dneg"}), lm::ValueError, "layer 'dneg' (Dense)");
  EXPECT_NAMED_ERROR(Embedding(0, 4, {.name = "e0"}), lm::ValueError, "layer 'e0' (Embedding)");
  EXPECT_NAMED_ERROR(Embedding(4, -1, {.name = "eneg"}), lm::ValueError, "layer 'eneg' (Embedding)");
  EXPECT_NAMED_ERROR(SimpleRNN(0, {.name = "s0"}), lm::ValueError, "layer 's0' (SimpleRNN)");
  EXPECT_NAMED_ERROR(LSTM(-1, {.name = "l0"}), lm::ValueError, "layer 'l0' (LSTM)");
  EXPECT_NAMED_ERROR(GRU(0, {.name = "g0"}), lm::ValueError, "layer 'g0' (GRU)");
  EXPECT_NAMED_ERROR(MultiHeadAttention(0, 4, {.name = "mha_h"}), lm::ValueError, "layer 'mha_h' (MultiHeadAttention)");
  EXPECT_NAMED_ERROR(MultiHeadAttention(2, -4, {.name = "mha_k"}), lm::ValueError,
                     "layer 'mha_k' (MultiHeadAttention)");
  EXPECT_NAMED_ERROR(MultiHeadAttention(2, 4, {.value_dim = 0, .name = "mha_v"}), lm::ValueError,
                     "layer 'mha_v' (MultiHeadAttention)");
  EXPECT_NAMED_ERROR(MultiHeadAttention(2, 4, {.output_shape = -2, .name = "mha_o"}), lm::ValueError,
                     "layer 'mha_o' (MultiHeadAttention)");
  EXPECT_NAMED_ERROR(RepeatVector(-1, "rv_neg"), lm::ValueError, "layer 'rv_neg' (RepeatVector)");
}

TEST(AdversarialOptions, DropoutRatesOutsideTheUnitInterval) {
  for (double rate : {-0.1, 1.0, 1.5, kNaN}) {
    SCOPED_TRACE(rate);
    EXPECT_NAMED_ERROR(Dropout(rate, {.name = "drop"}), lm::ValueError, "layer 'drop' (Dropout)");
    EXPECT_NAMED_ERROR(LSTM(2, {.dropout = rate, .name = "lstm_d"}), lm::ValueError, "layer 'lstm_d' (LSTM)");
    EXPECT_NAMED_ERROR(GRU(2, {.recurrent_dropout = rate, .name = "gru_rd"}), lm::ValueError, "layer 'gru_rd' (GRU)");
    EXPECT_NAMED_ERROR(Attention({.dropout = rate, .name = "att_d"}), lm::ValueError, "layer 'att_d' (Attention)");
    EXPECT_NAMED_ERROR(MultiHeadAttention(2, 2, {.dropout = rate, .name = "mha_d"}), lm::ValueError,
                       "layer 'mha_d' (MultiHeadAttention)");
  }
}

TEST(AdversarialOptions, UnknownNamesAndModes) {
  // A bad activation name fails when the layer is constructed: the message names the
  // layer, the option, the known names and the nearest one (issue 8, bug 7).
  EXPECT_LAMINA_ERROR(Dense(2, {.activation = "relux", .name = "dense_act"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'dense_act' (Dense): unknown activation 'relux' for option 'activation'"));
    EXPECT_THAT(msg, HasSubstr("one of linear, relu, tanh"));
    EXPECT_THAT(msg, HasSubstr("hint: did you mean 'relu'?"));
  });
  EXPECT_LAMINA_ERROR(Activation("sigmoud", "act_typo"), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'act_typo' (Activation)"));
    EXPECT_THAT(msg, HasSubstr("did you mean 'sigmoid'?"));
  });
  // An initializer name fails while the options are made, naming the lookup.
  EXPECT_LAMINA_ERROR(Dense(2, {.kernel_initializer = "glorot_unifrom"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("glorot_unifrom"));
    EXPECT_THAT(msg, HasSubstr("initializers::get"));
    EXPECT_THAT(msg, HasSubstr("hint: did you mean 'glorot_uniform'?"));
  });
  // RNN activations are ActivationSpecs too, checked in the constructor like Dense's.
  EXPECT_LAMINA_ERROR(LSTM(2, {.activation = "nope", .name = "lstm_act"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'lstm_act' (LSTM): unknown activation 'nope'"));
    EXPECT_THAT(msg, HasSubstr("hint:"));
  });
  EXPECT_LAMINA_ERROR(GRU(2, {.recurrent_activation = "hard_sigmod", .name = "gru_ract"}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'gru_ract' (GRU): unknown activation 'hard_sigmod' for option "
                               "'recurrent_activation'"));
    EXPECT_THAT(msg, HasSubstr("did you mean 'hard_sigmoid'?"));
  });
  // Looked up directly, the error names the lookup.
  EXPECT_LAMINA_ERROR(lm::activations::get("tanhh"), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("op 'activations::get'"));
    EXPECT_THAT(msg, HasSubstr("did you mean 'tanh'?"));
  });
  // An empty name means linear, as Keras's activation=None.
  EXPECT_EQ(GRU(2, {.recurrent_activation = ""})->get_config()["recurrent_activation"], "linear");
  EXPECT_NAMED_ERROR(Attention({.score_mode = "cosine", .name = "att_mode"}), lm::ValueError,
                     "layer 'att_mode' (Attention)");
  EXPECT_NAMED_ERROR(GlobalAveragePooling1D({.data_format = "NCW", .name = "gap_fmt"}), lm::ValueError,
                     "layer 'gap_fmt' (GlobalAveragePooling1D)");
  EXPECT_NAMED_ERROR(Bidirectional(LSTM(2), {.merge_mode = "max", .name = "bi_mode"}), lm::ValueError,
                     "layer 'bi_mode' (Bidirectional)");
  EXPECT_NAMED_ERROR(Bidirectional(lm::LayerHandle<RNNLayer>(), {.name = "bi_empty"}), lm::ValueError,
                     "layer 'bi_empty' (Bidirectional)");
  EXPECT_NAMED_ERROR(TimeDistributed(lm::LayerRef(), "td_empty"), lm::ValueError, "layer 'td_empty' (TimeDistributed)");
  EXPECT_NAMED_ERROR(LayerNormalization({.axis = {}, .name = "ln_noaxis"}), lm::ValueError,
                     "layer 'ln_noaxis' (LayerNormalization)");
  EXPECT_NAMED_ERROR(LayerNormalization({.epsilon = -1, .name = "ln_eps"}), lm::ValueError,
                     "layer 'ln_eps' (LayerNormalization)");
  EXPECT_NAMED_ERROR(BatchNormalization({.momentum = 1.5, .name = "bn_mom"}), lm::ValueError,
                     "layer 'bn_mom' (BatchNormalization)");
  EXPECT_NAMED_ERROR(BatchNormalization({.epsilon = kNaN, .name = "bn_eps"}), lm::ValueError,
                     "layer 'bn_eps' (BatchNormalization)");
}

TEST(AdversarialOptions, EmptyCallablesAreRefusedUpFront) {
  EXPECT_NAMED_ERROR(Lambda(LambdaFn(), {.name = "lam_empty"}), lm::ValueError, "layer 'lam_empty' (Lambda)");
  EXPECT_NAMED_ERROR(Lambda(LambdaListFn(), {.name = "lam_empty_list"}), lm::ValueError,
                     "layer 'lam_empty_list' (Lambda)");
  // Activations and initializers are checked where they are given, before any layer exists.
  EXPECT_LAMINA_ERROR(Activation(lm::ActivationFn(), "act_empty"), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("empty callable")); });
  EXPECT_LAMINA_ERROR(Dense(2, {.activation = lm::ActivationFn()}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("empty callable")); });
  EXPECT_LAMINA_ERROR(Dense(2, {.kernel_initializer = lm::Initializer()}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("empty callable")); });
  EXPECT_LAMINA_ERROR(LSTM(2, {.recurrent_initializer = lm::InitializerSpec(lm::Initializer(), "mine")}),
                      lm::ValueError, { EXPECT_THAT(msg, HasSubstr("'mine'")); });
}

TEST(AdversarialOptions, BadAxes) {
  EXPECT_NAMED_ERROR(LayerNormalization({.axis = {3}, .name = "ln_axis"})(lm::ones({2, 3, 4})), lm::ShapeError,
                     "layer 'ln_axis' (LayerNormalization)");
  EXPECT_NAMED_ERROR(LayerNormalization({.axis = {-4}, .name = "ln_axis_neg"})(lm::ones({2, 3, 4})), lm::ShapeError,
                     "layer 'ln_axis_neg' (LayerNormalization)");
  EXPECT_NAMED_ERROR(LayerNormalization({.axis = {0}, .name = "ln_batch"})(lm::ones({2, 3})), lm::ValueError,
                     "layer 'ln_batch' (LayerNormalization)");
  EXPECT_NAMED_ERROR(BatchNormalization({.axis = 2, .name = "bn_axis"})(lm::ones({2, 3})), lm::ShapeError,
                     "layer 'bn_axis' (BatchNormalization)");
  EXPECT_NAMED_ERROR(BatchNormalization({.axis = 0, .name = "bn_batch"})(lm::ones({2, 3})), lm::ValueError,
                     "layer 'bn_batch' (BatchNormalization)");
  for (std::int64_t axis : {3, -4, 100}) {
    SCOPED_TRACE(axis);
    EXPECT_NAMED_ERROR(Concatenate(axis, {.name = "cat_axis"})({lm::ones({2, 3, 4}), lm::ones({2, 3, 4})}),
                       lm::ShapeError, "layer 'cat_axis' (Concatenate)");
  }
}

TEST(AdversarialOptions, ReshapeTargets) {
  EXPECT_NAMED_ERROR(Reshape(lm::Shape{-1, -1}, "rs_two"), lm::ValueError, "layer 'rs_two' (Reshape)");
  EXPECT_NAMED_ERROR(Reshape(lm::Shape{-2, 3}, "rs_neg"), lm::ValueError, "layer 'rs_neg' (Reshape)");
  EXPECT_NAMED_ERROR(Reshape(lm::Shape{5}, "rs_size")(lm::ones({3, 4})), lm::ShapeError, "layer 'rs_size' (Reshape)");
  EXPECT_NAMED_ERROR(Reshape(lm::Shape{-1, 3}, "rs_div")(lm::ones({3, 4})), lm::ShapeError, "layer 'rs_div' (Reshape)");
  // A known per-example size is checked on symbolic inputs too.
  EXPECT_NAMED_ERROR(Reshape(lm::Shape{5}, "rs_sym")(lm::Input({4})), lm::ShapeError, "layer 'rs_sym' (Reshape)");
  // Legitimate: a zero-size target for zero-size examples, and -1 resolved per example.
  EXPECT_SHAPE(Reshape(lm::Shape{0, 3})(lm::ones({2, 0})), lm::Shape({2, 0, 3}));
  auto y = Reshape(lm::Shape{2, -1})(iota({2, 4}));
  EXPECT_SHAPE(y, lm::Shape({2, 2, 2}));
  EXPECT_VALUES(y, {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}, 1e-6);
}

TEST(AdversarialOptions, RepeatVectorZeroGivesAnEmptyTimeAxis) {
  auto y = RepeatVector(0)(iota({2, 3}));
  EXPECT_SHAPE(y, lm::Shape({2, 0, 3}));
  EXPECT_NAMED_ERROR(RepeatVector(2, "rv_rank")(lm::ones({2, 3, 4})), lm::ShapeError, "layer 'rv_rank' (RepeatVector)");
}

// ---- wrong rank or dtype ------------------------------------------------------------------

TEST(AdversarialInputs, InputWithANegativeDimension) {
  EXPECT_LAMINA_ERROR(lm::Input({-3, 4}), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("op 'Input'"));
    EXPECT_THAT(msg, HasSubstr("found:    (-3, 4)"));
    EXPECT_THAT(msg, HasSubstr("hint: use lm::None"));
  });
}

TEST(AdversarialInputs, EmbeddingIds) {
  Embedding e(5, 2, {.name = "emb_ids"});
  EXPECT_NAMED_ERROR(e(lm::tensor({1.f, 2.f})), lm::DTypeError, "layer 'emb_ids' (Embedding)");
  EXPECT_NAMED_ERROR(e(lm::tensor({true, false})), lm::DTypeError, "layer 'emb_ids' (Embedding)");
  EXPECT_NAMED_ERROR(e(lm::tensor({{1, 5}})), lm::ValueError, "layer 'emb_ids' (Embedding)");
  EXPECT_NAMED_ERROR(e(lm::tensor({{1, -1}})), lm::ValueError, "layer 'emb_ids' (Embedding)");
  EXPECT_NAMED_ERROR(e(lm::tensor(std::vector<std::int64_t>{2, std::numeric_limits<std::int64_t>::min()})),
                     lm::ValueError, "layer 'emb_ids' (Embedding)");
  EXPECT_NAMED_ERROR(e(lm::Input({3}, lm::Float32)), lm::DTypeError, "layer 'emb_ids' (Embedding)");
  // A scalar id is a lookup too.
  e->embeddings().assign(lm::tensor({{0.f, 0.f}, {1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}, {7.f, 8.f}}));
  EXPECT_VALUES(e(lm::scalar(3, lm::Int32)), {5, 6});
  EXPECT_VALUES(e(lm::tensor(std::vector<std::int64_t>{4, 1})), {7, 8, 1, 2});
}

TEST(AdversarialInputs, DenseRankAndDType) {
  EXPECT_NAMED_ERROR(Dense(2, {.name = "dense_r1"})(lm::ones({4})), lm::ShapeError, "layer 'dense_r1' (Dense)");
  EXPECT_NAMED_ERROR(Dense(2, {.name = "dense_r0"})(lm::scalar(1.f)), lm::ShapeError, "layer 'dense_r0' (Dense)");
  // Integer features promote to float32 (Keras autocasts them).
  Dense d(1, {.use_bias = false, .name = "dense_int"});
  d(lm::ones({1, 2}, lm::Int32));
  d->kernel().assign(lm::tensor({{2.f}, {3.f}}));
  auto y = d(lm::tensor({{1, 2}, {3, 4}}));
  EXPECT_EQ(y.dtype(), lm::Float32);
  EXPECT_VALUES(y, {8, 18});
}

TEST(AdversarialInputs, RnnRankAndDType) {
  for (auto make : {+[] { return lm::LayerRef(LSTM(2, {.name = "rnn_x"})); },
                    +[] { return lm::LayerRef(GRU(2, {.name = "rnn_x"})); },
                    +[] { return lm::LayerRef(SimpleRNN(2, {.name = "rnn_x"})); }}) {
    auto layer = make();
    const std::string who = "layer 'rnn_x' (" + layer->type() + ")";
    EXPECT_NAMED_ERROR(layer(lm::ones({2, 3})), lm::ShapeError, who);
    EXPECT_NAMED_ERROR(layer(lm::ones({2, 3, 4, 5})), lm::ShapeError, who);
    EXPECT_NAMED_ERROR(layer(lm::ones({2, 3, 4}, lm::Int32)), lm::DTypeError, who);
    EXPECT_NAMED_ERROR(layer(lm::ones({2, 3, 4}, lm::Bool)), lm::DTypeError, who);
    EXPECT_NAMED_ERROR(layer(lm::Input({lm::None, lm::None})), lm::ShapeError, who);
  }
  // Built on float32, later called with integers: the same DTypeError, not a kernel failure.
  auto lstm = LSTM(2, {.name = "rnn_later_int"});
  lstm(lm::ones({1, 2, 3}));
  EXPECT_NAMED_ERROR(lstm(lm::ones({1, 2, 3}, lm::Int32)), lm::DTypeError, "layer 'rnn_later_int' (LSTM)");
  EXPECT_NAMED_ERROR(lstm(lm::ones({1, 2})), lm::ShapeError, "layer 'rnn_later_int' (LSTM)");
}

TEST(AdversarialInputs, OtherLayersWrongRank) {
  EXPECT_NAMED_ERROR(GlobalMaxPooling1D({.name = "gmp_r2"})(lm::ones({2, 3})), lm::ShapeError,
                     "layer 'gmp_r2' (GlobalMaxPooling1D)");
  EXPECT_NAMED_ERROR(Masking({.name = "mask_r1"})(lm::ones({3})), lm::ShapeError, "layer 'mask_r1' (Masking)");
  EXPECT_NAMED_ERROR(Flatten("flat_r0")(lm::scalar(1.f)), lm::ShapeError, "layer 'flat_r0' (Flatten)");
  EXPECT_NAMED_ERROR(TimeDistributed(Dense(2), "td_r2")(lm::ones({2, 3})), lm::ShapeError,
                     "layer 'td_r2' (TimeDistributed)");
  EXPECT_NAMED_ERROR(Attention({.name = "att_r2"})({lm::ones({2, 3}), lm::ones({2, 3})}), lm::ShapeError,
                     "layer 'att_r2' (Attention)");
  EXPECT_NAMED_ERROR(MultiHeadAttention(2, 2, {.name = "mha_r2"})({lm::ones({2, 3}), lm::ones({2, 3})}), lm::ShapeError,
                     "layer 'mha_r2' (MultiHeadAttention)");
  EXPECT_NAMED_ERROR(Attention({.name = "att_one"})(lm::TensorList{lm::ones({2, 3, 4})}), lm::ValueError,
                     "layer 'att_one' (Attention)");
  EXPECT_NAMED_ERROR(Attention({.name = "att_batch"})({lm::ones({2, 3, 4}), lm::ones({3, 3, 4})}), lm::ShapeError,
                     "layer 'att_batch' (Attention)");
  EXPECT_NAMED_ERROR(Attention({.name = "att_qk"})({lm::ones({2, 3, 4}), lm::ones({2, 5, 6})}), lm::ShapeError,
                     "layer 'att_qk' (Attention)");
  EXPECT_NAMED_ERROR(
      MultiHeadAttention(2, 2, {.name = "mha_kv"})({lm::ones({2, 3, 4}), lm::ones({2, 5, 4}), lm::ones({2, 4, 4})}),
      lm::ShapeError, "layer 'mha_kv' (MultiHeadAttention)");
  EXPECT_NAMED_ERROR(
      MultiHeadAttention(2, 2, {.name = "mha_amask"})(
          {lm::ones({2, 3, 4}), lm::ones({2, 5, 4}), lm::ones({2, 5, 4}), lm::ones({2, 3, 4}, lm::Bool)}),
      lm::ShapeError, "layer 'mha_amask' (MultiHeadAttention)");
  EXPECT_NAMED_ERROR(
      MultiHeadAttention(2, 2, {.name = "mha_amask_int"})(
          {lm::ones({2, 3, 4}), lm::ones({2, 5, 4}), lm::ones({2, 5, 4}), lm::ones({2, 3, 5}, lm::Int32)}),
      lm::ValueError, "layer 'mha_amask_int' (MultiHeadAttention)");
}

// ---- another feature size after build -----------------------------------------------------

TEST(AdversarialInputs, FeatureSizeChangesAfterBuild) {
  Dense d(2, {.name = "fs_dense"});
  d(lm::ones({2, 4}));
  EXPECT_NAMED_ERROR(d(lm::ones({2, 5})), lm::ShapeError, "layer 'fs_dense' (Dense)");
  EXPECT_NAMED_ERROR(d(lm::Input({3})), lm::ShapeError, "layer 'fs_dense' (Dense)");

  for (auto make : {+[] { return lm::LayerRef(LSTM(2, {.name = "fs_rnn"})); },
                    +[] { return lm::LayerRef(GRU(2, {.name = "fs_rnn"})); },
                    +[] { return lm::LayerRef(SimpleRNN(2, {.name = "fs_rnn"})); }}) {
    auto layer = make();
    layer(lm::ones({2, 3, 4}));
    EXPECT_NAMED_ERROR(layer(lm::ones({2, 3, 5})), lm::ShapeError, "layer 'fs_rnn' (" + layer->type() + ")");
    EXPECT_NAMED_ERROR(layer(lm::Input({lm::None, 6})), lm::ShapeError, "layer 'fs_rnn' (" + layer->type() + ")");
  }

  Bidirectional bi(GRU(2), {.name = "fs_bi"});
  bi(lm::ones({2, 3, 4}));
  EXPECT_NAMED_ERROR(bi(lm::ones({2, 3, 5})), lm::ShapeError, "layer 'fs_bi' (Bidirectional)");

  LayerNormalization ln({.name = "fs_ln"});
  ln(lm::ones({2, 3, 4}));
  EXPECT_NAMED_ERROR(ln(lm::ones({2, 3, 5})), lm::ShapeError, "layer 'fs_ln' (LayerNormalization)");
  EXPECT_NAMED_ERROR(ln(lm::ones({2, 4})), lm::ShapeError, "layer 'fs_ln' (LayerNormalization)");

  BatchNormalization bn({.name = "fs_bn"});
  bn(lm::ones({2, 4}));
  EXPECT_NAMED_ERROR(bn(lm::ones({2, 5}), {.training = true}), lm::ShapeError, "layer 'fs_bn' (BatchNormalization)");

  MultiHeadAttention mha(2, 3, {.name = "fs_mha"});
  mha({lm::ones({2, 3, 4}), lm::ones({2, 5, 6})});
  EXPECT_NAMED_ERROR(mha({lm::ones({2, 3, 5}), lm::ones({2, 5, 6})}), lm::ShapeError,
                     "layer 'fs_mha' (MultiHeadAttention)");
  EXPECT_NAMED_ERROR(mha({lm::ones({2, 3, 4}), lm::ones({2, 5, 4})}), lm::ShapeError,
                     "layer 'fs_mha' (MultiHeadAttention)");
  EXPECT_NAMED_ERROR(mha({lm::ones({2, 3, 4}), lm::ones({2, 5, 6}), lm::ones({2, 5, 7})}), lm::ShapeError,
                     "layer 'fs_mha' (MultiHeadAttention)");

  Attention att({.use_scale = true, .name = "fs_att"});
  att({lm::ones({2, 3, 4}), lm::ones({2, 5, 4})});
  EXPECT_NAMED_ERROR(att({lm::ones({2, 3, 4}), lm::ones({2, 5, 6})}), lm::ShapeError, "layer 'fs_att' (Attention)");

  TimeDistributed td(Dense(2, {.name = "fs_td_inner"}), "fs_td");
  td(lm::ones({2, 3, 4}));
  EXPECT_LAMINA_ERROR(td(lm::ones({2, 3, 5})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("layer 'fs_td' (TimeDistributed)"));
    EXPECT_THAT(msg, HasSubstr("layer 'fs_td_inner' (Dense)"));
  });
}

// ---- masks of the wrong shape or dtype ----------------------------------------------------

TEST(AdversarialMasks, ExplicitMaskOfWrongShapeOrDType) {
  // A mask that is not a prefix of the input's shape is a ShapeError (op 'with_mask'); a
  // mask over features where the layer needs one per step is a MaskError.
  auto x = lm::ones({2, 3, 4});
  Dense d(2, {.name = "mask_dense"});
  EXPECT_NAMED_ERROR(d(x, {.mask = lm::ones({3}, lm::Bool)}), lm::ShapeError, "layer 'mask_dense' (Dense)");
  EXPECT_NAMED_ERROR(d(x, {.mask = lm::ones({2, 4}, lm::Bool)}), lm::ShapeError, "layer 'mask_dense' (Dense)");
  EXPECT_NAMED_ERROR(d(x, {.mask = lm::ones({2, 3, 4, 1}, lm::Bool)}), lm::ShapeError, "layer 'mask_dense' (Dense)");
  EXPECT_NAMED_ERROR(d(x, {.mask = lm::ones({2, 3}, lm::Float32)}), lm::DTypeError, "layer 'mask_dense' (Dense)");
  EXPECT_NAMED_ERROR(d(x, {.mask = lm::ones({2, 3}, lm::Int32)}), lm::DTypeError, "layer 'mask_dense' (Dense)");

  auto lstm = LSTM(2, {.name = "mask_lstm"});
  EXPECT_NAMED_ERROR(lstm(x, {.mask = lm::ones({2, 4}, lm::Bool)}), lm::ShapeError, "layer 'mask_lstm' (LSTM)");
  EXPECT_NAMED_ERROR(lstm(x, {.mask = lm::ones({2, 3, 4}, lm::Bool)}), lm::MaskError, "layer 'mask_lstm' (LSTM)");
  auto bi = Bidirectional(LSTM(2), {.name = "mask_bi"});
  EXPECT_NAMED_ERROR(bi(x, {.mask = lm::ones({2, 3, 4}, lm::Bool)}), lm::MaskError, "mask_bi");

  auto emb = Embedding(5, 2, {.mask_zero = true, .name = "mask_emb"});
  EXPECT_NAMED_ERROR(emb(lm::tensor({{1, 2}}), {.mask = lm::ones({2}, lm::Bool)}), lm::ShapeError,
                     "layer 'mask_emb' (Embedding)");

  auto att = Attention({.name = "mask_att"});
  // An explicit mask is for a single input; attention takes a list.
  EXPECT_NAMED_ERROR(att({x, x}, {.mask = lm::ones({2, 3}, lm::Bool)}), lm::ValueError, "layer 'mask_att' (Attention)");

  auto pool = GlobalAveragePooling1D({.name = "mask_pool"});
  EXPECT_NAMED_ERROR(pool(x, {.mask = lm::ones({3, 3}, lm::Bool)}), lm::ShapeError,
                     "layer 'mask_pool' (GlobalAveragePooling1D)");
  // Symbolic input, mask of the wrong shape.
  EXPECT_NAMED_ERROR(Dense(2, {.name = "mask_sym"})(lm::Input({3, 4}), {.mask = lm::ones({2, 4}, lm::Bool)}),
                     lm::ShapeError, "layer 'mask_sym' (Dense)");
}

// ---- zero-size batches and zero-length sequences ------------------------------------------

TEST(AdversarialEmpty, EmbeddingAndMasking) {
  Embedding e(5, 3, {.mask_zero = true});
  auto a = e(lm::zeros({0, 4}, lm::Int32));
  EXPECT_SHAPE(a, lm::Shape({0, 4, 3}));
  EXPECT_MASK(a, lm::Shape({0, 4}), {});
  auto b = e(lm::zeros({2, 0}, lm::Int32));
  EXPECT_SHAPE(b, lm::Shape({2, 0, 3}));
  EXPECT_MASK(b, lm::Shape({2, 0}), {});

  Masking m;
  auto c = m(lm::ones({0, 3, 2}));
  EXPECT_SHAPE(c, lm::Shape({0, 3, 2}));
  EXPECT_MASK(c, lm::Shape({0, 3}), {});
  auto d = m(lm::ones({2, 0, 2}));
  EXPECT_SHAPE(d, lm::Shape({2, 0, 2}));
  EXPECT_MASK(d, lm::Shape({2, 0}), {});
  // Zero features: no feature differs from mask_value, so every step is padding.
  auto f = m(lm::ones({2, 1, 0}));
  EXPECT_SHAPE(f, lm::Shape({2, 1, 0}));
  EXPECT_MASK(f, lm::Shape({2, 1}), {false, false});
}

TEST(AdversarialEmpty, DenseDropoutFlattenAndMerges) {
  Dense d(3, {.bias_initializer = "ones"});
  EXPECT_SHAPE(d(lm::ones({0, 4})), lm::Shape({0, 3}));
  EXPECT_SHAPE(d(lm::ones({2, 0, 4})), lm::Shape({2, 0, 3}));
  // Zero input features: x . kernel is an empty sum, so the output is the bias.
  Dense d0(2, {.bias_initializer = "ones"});
  auto y0 = d0(lm::ones({3, 0}));
  EXPECT_SHAPE(y0, lm::Shape({3, 2}));
  EXPECT_VALUES(y0, {1, 1, 1, 1, 1, 1});

  EXPECT_SHAPE(Dropout(0.5)(lm::ones({0, 3}), {.training = true}), lm::Shape({0, 3}));
  EXPECT_SHAPE(Flatten()(lm::ones({0, 3, 4})), lm::Shape({0, 12}));
  EXPECT_SHAPE(Flatten()(lm::ones({2, 0, 4})), lm::Shape({2, 0}));
  EXPECT_SHAPE(Add()({lm::ones({0, 3}), lm::ones({0, 3})}), lm::Shape({0, 3}));
  EXPECT_SHAPE(Concatenate(1)({lm::ones({2, 0, 3}), lm::ones({2, 2, 3})}), lm::Shape({2, 2, 3}));
  EXPECT_SHAPE(LayerNormalization()(lm::ones({0, 3})), lm::Shape({0, 3}));
  EXPECT_SHAPE(RepeatVector(2)(lm::ones({0, 3})), lm::Shape({0, 2, 3}));
}

TEST(AdversarialEmpty, RecurrentLayers) {
  for (auto make : {+[] { return lm::LayerRef(LSTM(3, {.return_state = true})); },
                    +[] { return lm::LayerRef(GRU(3, {.return_state = true})); },
                    +[] { return lm::LayerRef(SimpleRNN(3, {.return_state = true})); }}) {
    auto layer = make();
    SCOPED_TRACE(layer->type());
    // B = 0.
    lm::TensorList outs = layer(lm::TensorList{lm::ones({0, 4, 2})});
    EXPECT_SHAPE(outs[0], lm::Shape({0, 3}));
    for (std::size_t i = 1; i < outs.size(); ++i) EXPECT_SHAPE(outs[i], lm::Shape({0, 3}));
    // T = 0: no step runs, so the output and the states are the initial (zero) state.
    outs = layer(lm::TensorList{lm::ones({2, 0, 2})});
    EXPECT_SHAPE(outs[0], lm::Shape({2, 3}));
    for (const auto& o : outs) EXPECT_TRUE(all_zero(o));
    // T = 0 with an initial state: as a row with no valid step, the output is 0 and the
    // states come back unchanged.
    lm::TensorList states;
    for (std::size_t i = 1; i < outs.size(); ++i) states.push_back(iota({2, 3}, 0.1f * static_cast<float>(i)));
    outs = layer(lm::TensorList{lm::ones({2, 0, 2})}, {.initial_state = states});
    ASSERT_EQ(outs.size(), states.size() + 1);
    EXPECT_TRUE(all_zero(outs[0]));
    EXPECT_VALUES(outs[1], {0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, 1e-6);
    if (outs.size() == 3) EXPECT_VALUES(outs[2], {0.2, 0.4, 0.6, 0.8, 1.0, 1.2}, 1e-6);
  }
  // Sequences out, forwards and backwards.
  for (bool back : {false, true}) {
    auto lstm = LSTM(3, {.return_sequences = true, .go_backwards = back});
    EXPECT_SHAPE(lstm(lm::ones({2, 0, 2})), lm::Shape({2, 0, 3}));
    EXPECT_SHAPE(lstm(lm::ones({0, 4, 2})), lm::Shape({0, 4, 3}));
    auto gru = GRU(3, {.return_sequences = true, .go_backwards = back});
    auto masked = lm::ones({2, 0, 2}).with_mask(lm::ones({2, 0}, lm::Bool));
    auto y = gru(masked);
    EXPECT_SHAPE(y, lm::Shape({2, 0, 3}));
    EXPECT_MASK(y, lm::Shape({2, 0}), {});
  }
}

TEST(AdversarialEmpty, Bidirectional) {
  auto seqs = Bidirectional(LSTM(3, {.return_sequences = true}));
  EXPECT_SHAPE(seqs(lm::ones({2, 0, 2})), lm::Shape({2, 0, 6}));
  EXPECT_SHAPE(seqs(lm::ones({0, 4, 2})), lm::Shape({0, 4, 6}));
  auto last = Bidirectional(GRU(3), {.merge_mode = "sum"});
  auto y = last(lm::ones({2, 0, 2}));
  EXPECT_SHAPE(y, lm::Shape({2, 3}));
  EXPECT_TRUE(all_zero(y));
}

TEST(AdversarialEmpty, Poolings) {
  for (bool keep : {false, true}) {
    GlobalAveragePooling1D avg({.keepdims = keep});
    GlobalMaxPooling1D mx({.keepdims = keep});
    const lm::Shape out = keep ? lm::Shape{2, 1, 3} : lm::Shape{2, 3};
    // T = 0: nothing to pool, so 0 (as for a row whose steps are all padding), never NaN or -inf.
    auto a = avg(lm::ones({2, 0, 3}));
    auto m = mx(lm::ones({2, 0, 3}));
    EXPECT_SHAPE(a, out);
    EXPECT_SHAPE(m, out);
    EXPECT_VALUES(a, {0, 0, 0, 0, 0, 0});
    EXPECT_VALUES(m, {0, 0, 0, 0, 0, 0});
    EXPECT_SHAPE(avg(lm::ones({0, 4, 3})), keep ? lm::Shape({0, 1, 3}) : lm::Shape({0, 3}));
    EXPECT_SHAPE(mx(lm::ones({0, 4, 3})), keep ? lm::Shape({0, 1, 3}) : lm::Shape({0, 3}));
  }
  GlobalMaxPooling1D first({.data_format = "channels_first"});
  EXPECT_VALUES(first(lm::ones({1, 2, 0})), {0, 0});
}

TEST(AdversarialEmpty, Attention) {
  Attention att;
  // No queries: an empty output.
  EXPECT_SHAPE(att({lm::ones({2, 0, 4}), lm::ones({2, 3, 4})})[0], lm::Shape({2, 0, 4}));
  // No keys: every query attends nothing, so the output is 0 (as for an all-padding value).
  auto none = att({lm::ones({2, 3, 4}), lm::ones({2, 0, 4})})[0];
  EXPECT_SHAPE(none, lm::Shape({2, 3, 4}));
  EXPECT_TRUE(all_zero(none));
  EXPECT_SHAPE(att({lm::ones({0, 3, 4}), lm::ones({0, 5, 4})})[0], lm::Shape({0, 3, 4}));

  MultiHeadAttention mha(2, 3, {.return_attention_scores = true});
  lm::TensorList outs = mha(lm::TensorList{lm::ones({2, 3, 4}), lm::ones({2, 0, 4})});
  EXPECT_SHAPE(outs[0], lm::Shape({2, 3, 4}));
  EXPECT_SHAPE(outs[1], lm::Shape({2, 2, 3, 0}));
  // Zero weights times no values, plus the output bias (zeros by default).
  EXPECT_TRUE(all_zero(outs[0]));
  outs = mha(lm::TensorList{lm::ones({0, 3, 4}), lm::ones({0, 5, 4})});
  EXPECT_SHAPE(outs[0], lm::Shape({0, 3, 4}));
  EXPECT_SHAPE(outs[1], lm::Shape({0, 2, 3, 5}));
  outs = mha(lm::TensorList{lm::ones({2, 0, 4}), lm::ones({2, 5, 4})});
  EXPECT_SHAPE(outs[0], lm::Shape({2, 0, 4}));
}

TEST(AdversarialEmpty, TimeDistributed) {
  TimeDistributed td(Dense(2, {.bias_initializer = "ones"}));
  EXPECT_SHAPE(td(lm::ones({0, 3, 4})), lm::Shape({0, 3, 2}));
  EXPECT_SHAPE(td(lm::ones({2, 0, 4})), lm::Shape({2, 0, 2}));
  auto masked = lm::ones({2, 0, 4}).with_mask(lm::ones({2, 0}, lm::Bool));
  auto y = td(masked);
  EXPECT_SHAPE(y, lm::Shape({2, 0, 2}));
  EXPECT_MASK(y, lm::Shape({2, 0}), {});
}

TEST(AdversarialEmpty, BatchNormalizationSkipsTheUpdateOnAnEmptyBatch) {
  BatchNormalization bn;
  bn(lm::ones({1, 2}));
  auto y = bn(lm::ones({0, 2}), {.training = true});
  EXPECT_SHAPE(y, lm::Shape({0, 2}));
  // An empty batch has no statistics: the moving ones must not turn into NaN.
  EXPECT_VALUES(bn->moving_mean().value(), {0, 0});
  EXPECT_VALUES(bn->moving_variance().value(), {1, 1});
}

// ---- merges -----------------------------------------------------------------------------

TEST(AdversarialMerge, CountsShapesAndDTypes) {
  auto a = iota({2, 3});
  EXPECT_NAMED_ERROR(Add({.name = "add_one"})({a}), lm::ValueError, "layer 'add_one' (Add)");
  EXPECT_NAMED_ERROR(Add({.name = "add_none"})(lm::TensorList{}), lm::ValueError, "layer 'add_none' (Add)");
  EXPECT_NAMED_ERROR(Subtract({.name = "sub_three"})({a, a, a}), lm::ValueError, "layer 'sub_three' (Subtract)");
  EXPECT_NAMED_ERROR(Concatenate(-1, {.name = "cat_one"})({a}), lm::ValueError, "layer 'cat_one' (Concatenate)");
  EXPECT_NAMED_ERROR(Multiply({.name = "mul_shape"})({a, lm::ones({2, 4})}), lm::ShapeError,
                     "layer 'mul_shape' (Multiply)");
  EXPECT_NAMED_ERROR(Maximum({.name = "max_batch"})({a, lm::ones({3, 3})}), lm::ShapeError,
                     "layer 'max_batch' (Maximum)");
  EXPECT_NAMED_ERROR(Minimum({.name = "min_scalar"})({lm::scalar(1.f), lm::scalar(2.f)}), lm::ShapeError,
                     "layer 'min_scalar' (Minimum)");
  EXPECT_NAMED_ERROR(Concatenate(-1, {.name = "cat_rank"})({a, lm::ones({2, 3, 1})}), lm::ShapeError,
                     "layer 'cat_rank' (Concatenate)");
  EXPECT_NAMED_ERROR(Concatenate(-1, {.name = "cat_other"})({a, lm::ones({3, 3})}), lm::ShapeError,
                     "layer 'cat_other' (Concatenate)");
  EXPECT_NAMED_ERROR(Concatenate(0, {.name = "cat_scalar"})({lm::scalar(1.f), lm::scalar(2.f)}), lm::ShapeError,
                     "layer 'cat_scalar' (Concatenate)");
  // Symbolic inputs with unknown dims: known ones must still agree.
  EXPECT_NAMED_ERROR(Add({.name = "add_sym"})({lm::Input({lm::None, 3}), lm::Input({lm::None, 4})}), lm::ShapeError,
                     "layer 'add_sym' (Add)");
  EXPECT_NAMED_ERROR(Concatenate(1, {.name = "cat_sym"})({lm::Input({lm::None, 3}), lm::Input({lm::None, 4})}),
                     lm::ShapeError, "layer 'cat_sym' (Concatenate)");
  // Unknown dims that turn out to differ are caught when the values arrive.
  EXPECT_NAMED_ERROR(Add({.name = "add_late"})({lm::ones({2, 3}), lm::ones({2, 4})}), lm::ShapeError,
                     "layer 'add_late' (Add)");
  // Mixed dtypes promote as the elementwise ops do.
  auto mixed = Add()({lm::tensor({{1, 2}}), lm::tensor({{0.5f, 0.25f}})});
  EXPECT_EQ(mixed.dtype(), lm::Float32);
  EXPECT_VALUES(mixed, {1.5, 2.25});
  auto avg = Average()({lm::tensor({{1, 2}}), lm::tensor({{2, 2}})});
  EXPECT_EQ(avg.dtype(), lm::Float32);
  EXPECT_VALUES(avg, {1.5, 2});
  auto cat = Concatenate()({lm::tensor({{1, 2}}), lm::tensor({{0.5f}})});
  EXPECT_EQ(cat.dtype(), lm::Float32);
  EXPECT_VALUES(cat, {1, 2, 0.5});
}

// ---- Lambda -----------------------------------------------------------------------------

TEST(AdversarialLambda, ThrowingFunction) {
  Lambda boom([](const lm::Tensor&) -> lm::Tensor { throw std::runtime_error("kaboom"); }, {.name = "lam_boom"});
  EXPECT_LAMINA_ERROR(boom(lm::ones({2, 3})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'lam_boom' (Lambda)"));
    EXPECT_THAT(msg, HasSubstr("kaboom"));
  });
  EXPECT_NAMED_ERROR(boom(lm::Input({3})), lm::ValueError, "layer 'lam_boom' (Lambda)");
  // A function that throws only on real data (not on the probes).
  Lambda late(
      [](const lm::Tensor& x) {
        if (x.dim(0) == 7) throw std::out_of_range("batch of seven");
        return x;
      },
      {.name = "lam_late"});
  EXPECT_VALUES(late(lm::tensor({{1.f}})), {1});
  EXPECT_LAMINA_ERROR(late(lm::ones({7, 1})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'lam_late' (Lambda)"));
    EXPECT_THAT(msg, HasSubstr("batch of seven"));
  });
}

TEST(AdversarialLambda, OtherBatchSizeOrDType) {
  // Returns one row whatever the batch: legitimate (a reduction over the batch), and the
  // inferred spec says so.
  Lambda total([](const lm::Tensor& x) { return lm::sum(x, {0}, true); }, {.name = "lam_total"});
  auto t = total(iota({3, 2}));
  EXPECT_SHAPE(t, lm::Shape({1, 2}));
  EXPECT_VALUES(t, {0.9, 1.2}, 1e-6);
  EXPECT_EQ(total(lm::Input({2})).spec().str(), "float32 (1, 2)");
  // Integer output: legitimate, and Dense accepts it.
  Lambda to_int([](const lm::Tensor& x) { return lm::cast(x, lm::Int32); }, {.name = "lam_int"});
  auto i = to_int(lm::tensor({{1.5f, 2.5f}}));
  EXPECT_EQ(i.dtype(), lm::Int32);
  EXPECT_VALUES(i, {1, 2});
  // Data through a traced call whose dtype or shape differs from the inferred spec: a
  // DTypeError or a ShapeError. (Eager calls alone just run the function, as in Keras.)
  Lambda flaky_dtype([](const lm::Tensor& x) { return x.dim(0) == 5 ? lm::cast(x, lm::Int32) : x; },
                     {.name = "lam_flaky_dtype"});
  auto replay_dtype = flaky_dtype(lm::Input({2})).node()->replay;
  replay_dtype({lm::ones({2, 2})});
  EXPECT_NAMED_ERROR(replay_dtype({lm::ones({5, 2})}), lm::DTypeError, "layer 'lam_flaky_dtype' (Lambda)");
  // A fresh Lambda called only eagerly just runs the function.
  Lambda eager_dtype([](const lm::Tensor& x) { return x.dim(0) == 5 ? lm::cast(x, lm::Int32) : x; });
  eager_dtype(lm::ones({2, 2}));
  EXPECT_EQ(eager_dtype(lm::ones({5, 2})).dtype(), lm::Int32);
  Lambda flaky_batch(
      [](const lm::Tensor& x) {
        return x.dim(0) == 5 ? lm::ones({4, 2, 2}) : x;
      },
      {.name = "lam_flaky_batch"});
  auto replay_batch = flaky_batch(lm::Input({2})).node()->replay;
  replay_batch({lm::ones({2, 2})});
  EXPECT_NAMED_ERROR(replay_batch({lm::ones({5, 2})}), lm::ShapeError, "layer 'lam_flaky_batch' (Lambda)");
  // Probes (the fallback for functions that need values) differing only in dtype.
  Lambda probe_dtype(
      [](const lm::Tensor& x) { return lm::sum(x) > -1e9 && x.dim(0) == 3 ? lm::cast(x, lm::Float64) : x; },
      {.name = "lam_probe_dtype"});
  EXPECT_NAMED_ERROR(probe_dtype(lm::Input({2})), lm::DTypeError, "layer 'lam_probe_dtype' (Lambda)");
  // Empty batches go through the function too.
  Lambda twice([](const lm::Tensor& x) { return x * 2.f; });
  EXPECT_SHAPE(twice(lm::ones({0, 3})), lm::Shape({0, 3}));
}

// ---- initial states ---------------------------------------------------------------------

TEST(AdversarialStates, WrongCountShapeOrDType) {
  auto x = lm::ones({2, 3, 4});
  auto lstm = LSTM(3, {.name = "st_lstm"});
  const std::string who = "layer 'st_lstm' (LSTM)";
  EXPECT_NAMED_ERROR(lstm(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3})}}), lm::ValueError, who);
  EXPECT_NAMED_ERROR(
      lstm(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3}), lm::zeros({2, 3}), lm::zeros({2, 3})}}),
      lm::ValueError, who);
  EXPECT_NAMED_ERROR(lstm(lm::TensorList{x}, {.initial_state = {lm::zeros({3, 3}), lm::zeros({2, 3})}}), lm::ShapeError,
                     who);
  EXPECT_NAMED_ERROR(lstm(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3}), lm::zeros({2, 4})}}), lm::ShapeError,
                     who);
  EXPECT_NAMED_ERROR(lstm(lm::TensorList{x}, {.initial_state = {lm::zeros({3}), lm::zeros({2, 3})}}), lm::ShapeError,
                     who);
  EXPECT_NAMED_ERROR(lstm(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3, 1}), lm::zeros({2, 3})}}),
                     lm::ShapeError, who);
  EXPECT_NAMED_ERROR(lstm(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3}, lm::Int32), lm::zeros({2, 3})}}),
                     lm::DTypeError, who);
  EXPECT_NAMED_ERROR(lstm(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3}), lm::Tensor()}}), lm::ValueError,
                     who);

  auto gru = GRU(3, {.name = "st_gru"});
  EXPECT_NAMED_ERROR(gru(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3}), lm::zeros({2, 3})}}), lm::ValueError,
                     "layer 'st_gru' (GRU)");
  EXPECT_NAMED_ERROR(gru(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 2})}}), lm::ShapeError,
                     "layer 'st_gru' (GRU)");
  EXPECT_NAMED_ERROR(gru(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3}, lm::Bool)}}), lm::DTypeError,
                     "layer 'st_gru' (GRU)");
  auto rnn = SimpleRNN(3, {.name = "st_rnn"});
  EXPECT_NAMED_ERROR(rnn(lm::TensorList{x}, {.initial_state = {lm::Input({4})}}), lm::ShapeError,
                     "layer 'st_rnn' (SimpleRNN)");

  auto bi = Bidirectional(LSTM(3), {.name = "st_bi"});
  EXPECT_NAMED_ERROR(bi(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3}), lm::zeros({2, 3})}}), lm::ValueError,
                     "layer 'st_bi' (Bidirectional)");
  EXPECT_NAMED_ERROR(bi(lm::TensorList{x}, {.initial_state = {lm::zeros({2, 3}), lm::zeros({2, 3}), lm::zeros({2, 3}),
                                                              lm::zeros({2, 5})}}),
                     lm::ShapeError, "st_bi");
}

// ---- symbolic inputs with unknown dims ----------------------------------------------------

TEST(AdversarialSymbolic, UnknownDims) {
  EXPECT_NAMED_ERROR(Dense(2, {.name = "sym_dense"})(lm::Input({lm::None, lm::None})), lm::ShapeError,
                     "layer 'sym_dense' (Dense)");
  EXPECT_NAMED_ERROR(LayerNormalization({.name = "sym_ln"})(lm::Input({lm::None, lm::None})), lm::ShapeError,
                     "layer 'sym_ln' (LayerNormalization)");
  EXPECT_NAMED_ERROR(BatchNormalization({.name = "sym_bn"})(lm::Input({lm::None})), lm::ShapeError,
                     "layer 'sym_bn' (BatchNormalization)");
  EXPECT_NAMED_ERROR(
      MultiHeadAttention(2, 2, {.name = "sym_mha"})({lm::Input({lm::None, lm::None}), lm::Input({lm::None, 4})}),
      lm::ShapeError, "layer 'sym_mha' (MultiHeadAttention)");
  EXPECT_NAMED_ERROR(TimeDistributed(Dense(2), "sym_td")(lm::Input({lm::None, lm::None})), lm::ShapeError, "sym_td");
  EXPECT_NAMED_ERROR(GlobalAveragePooling1D({.name = "sym_pool"})(lm::Input({lm::None})), lm::ShapeError,
                     "layer 'sym_pool' (GlobalAveragePooling1D)");
  EXPECT_NAMED_ERROR(Embedding(4, 2, {.name = "sym_emb"})(lm::Input({lm::None}, lm::Float64)), lm::DTypeError,
                     "layer 'sym_emb' (Embedding)");
  // Unknown time and batch are fine where only the features must be known.
  EXPECT_EQ(LSTM(3, {.return_sequences = true})(lm::Input({lm::None, 4})).spec().str(), "float32 (None, None, 3)");
  EXPECT_EQ(Reshape(lm::Shape{-1, 2})(lm::Input({lm::None, 4})).spec().str(), "float32 (None, None, 2)");
  EXPECT_EQ(Flatten()(lm::Input({lm::None, 4})).spec().str(), "float32 (None, None)");
  EXPECT_EQ(Attention()({lm::Input({lm::None, 4}), lm::Input({lm::None, 4})})[0].spec().str(),
            "float32 (None, None, 4)");
  EXPECT_EQ(TimeDistributed(Dense(2))(lm::Input({lm::None, 4})).spec().str(), "float32 (None, None, 2)");
  // Reshape with an unknown per-example size and a fixed target cannot be checked yet,
  // but a known size that cannot fit is still an error.
  EXPECT_NAMED_ERROR(Reshape(lm::Shape{-1, 3}, "sym_rs")(lm::Input({2, 2})), lm::ShapeError,
                     "layer 'sym_rs' (Reshape)");
}

// ---- sizes that would need giant allocations ------------------------------------------------

TEST(AdversarialSizes, HugeWeightsAreRefusedNotAllocated) {
  constexpr std::int64_t kHuge = std::int64_t{1} << 40;
  EXPECT_NAMED_ERROR(Dense(kHuge, {.name = "huge_dense"})(lm::ones({1, 1 << 12})), lm::ValueError,
                     "layer 'huge_dense' (Dense)");
  EXPECT_NAMED_ERROR(Embedding(kHuge, kHuge, {.name = "huge_emb"})(lm::tensor({{1}})), lm::ValueError,
                     "layer 'huge_emb' (Embedding)");
  EXPECT_NAMED_ERROR(LSTM(kHuge, {.name = "huge_lstm"})(lm::ones({1, 1, 2})), lm::ValueError,
                     "layer 'huge_lstm' (LSTM)");
  EXPECT_NAMED_ERROR(GRU(std::numeric_limits<std::int64_t>::max() / 2, {.name = "huge_gru"})(lm::ones({1, 1, 2})),
                     lm::ValueError, "layer 'huge_gru' (GRU)");
  EXPECT_NAMED_ERROR(MultiHeadAttention(kHuge, kHuge, {.name = "huge_mha"})({lm::ones({1, 1, 2}), lm::ones({1, 1, 2})}),
                     lm::ValueError, "layer 'huge_mha' (MultiHeadAttention)");
}

}  // namespace

namespace {

// ---- second round: sizes from shapes, wrappers, mask functions ----------------------------

TEST(AdversarialSizes, HugeSymbolicShapesDoNotOverflow) {
  constexpr std::int64_t kHuge = std::int64_t{1} << 40;
  EXPECT_NAMED_ERROR(Flatten("flat_huge")(lm::Input({kHuge, kHuge})), lm::ShapeError, "layer 'flat_huge' (Flatten)");
  EXPECT_NAMED_ERROR(Reshape(lm::Shape{kHuge, kHuge}, "rs_huge")(lm::Input({4})), lm::ValueError,
                     "layer 'rs_huge' (Reshape)");
  EXPECT_NAMED_ERROR(RepeatVector(kHuge, "rv_huge")(lm::ones({1, 1 << 12})), lm::ValueError,
                     "layer 'rv_huge' (RepeatVector)");
}

TEST(AdversarialWrappers, TimeDistributedAndBidirectional) {
  // An inner layer with several outputs cannot be folded back per step.
  TimeDistributed td(LSTM(2, {.return_state = true}), "td_multi");
  EXPECT_NAMED_ERROR(td(lm::ones({2, 3, 4, 5})), lm::ValueError, "layer 'td_multi' (TimeDistributed)");
  // Zero features per step.
  TimeDistributed td0(Dense(2, {.bias_initializer = "ones"}));
  auto y = td0(lm::ones({2, 3, 0}));
  EXPECT_SHAPE(y, lm::Shape({2, 3, 2}));
  EXPECT_VALUES(y, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  auto bi = Bidirectional(GRU(2), {.name = "bi_state_dtype"});
  EXPECT_NAMED_ERROR(
      bi(lm::TensorList{lm::ones({2, 3, 4})}, {.initial_state = {lm::zeros({2, 2}, lm::Int32), lm::zeros({2, 2})}}),
      lm::DTypeError, "bi_state_dtype");
}

TEST(AdversarialLambda, ThrowingMaskFunction) {
  Lambda lam(
      [](const lm::Tensor& x) { return x; },
      {.mask = [](const lm::TensorList&, const lm::TensorList&) -> lm::Tensor { throw std::logic_error("bad mask"); },
       .name = "lam_mask_throws"});
  EXPECT_LAMINA_ERROR(lam(lm::ones({2, 3})), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("layer 'lam_mask_throws' (Lambda)"));
    EXPECT_THAT(msg, HasSubstr("bad mask"));
  });
  // A mask function returning a mask that does not fit the output.
  Lambda wrong([](const lm::Tensor& x) { return x; },
               {.mask = [](const lm::TensorList&, const lm::TensorList&) { return lm::ones({7}, lm::Bool); },
                .name = "lam_mask_shape"});
  EXPECT_NAMED_ERROR(wrong(lm::ones({2, 3})), lm::ShapeError, "layer 'lam_mask_shape' (Lambda)");
}

TEST(AdversarialInputs, OddButValidDTypes) {
  // float64 into a layer built on float32 is cast to the weights' dtype.
  auto lstm = LSTM(2);
  auto a = lstm(lm::ones({1, 2, 3}));
  auto b = lstm(lm::ones({1, 2, 3}, lm::Float64));
  EXPECT_EQ(b.dtype(), lm::Float32);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  // Masking and LayerNormalization on integer input.
  auto m = Masking()(lm::tensor({{{0, 0}, {1, 2}}}));
  EXPECT_MASK(m, lm::Shape({1, 2}), {false, true});
  EXPECT_VALUES(m, {0, 0, 1, 2});
  auto ln = LayerNormalization({.epsilon = 1e-6})(lm::tensor({{1, 3}}));
  EXPECT_VALUES(ln, {-1, 1}, 1e-5);
}

// ---- the sequence layers of issue 8 ------------------------------------------------------

TEST(AdversarialSequenceLayers, BadOptions) {
  EXPECT_NAMED_ERROR(Conv1D(-1, 3, {.name = "adv_conv_f"}), lm::ValueError, "layer 'adv_conv_f' (Conv1D)");
  EXPECT_NAMED_ERROR(Conv1D(2, 3, {.dilation_rate = 0, .name = "adv_conv_d"}), lm::ValueError,
                     "layer 'adv_conv_d' (Conv1D)");
  EXPECT_NAMED_ERROR(Conv1D(2, 3, {.groups = 0, .name = "adv_conv_g"}), lm::ValueError, "layer 'adv_conv_g' (Conv1D)");
  EXPECT_NAMED_ERROR(Conv1D(2, 3, {.dilation_rate = std::int64_t{1} << 62, .name = "adv_conv_span"}), lm::ValueError,
                     "layer 'adv_conv_span' (Conv1D)");
  EXPECT_NAMED_ERROR(Conv1D(2, 3, {.data_format = "NWC", .name = "adv_conv_df"}), lm::ValueError,
                     "layer 'adv_conv_df' (Conv1D)");
  EXPECT_NAMED_ERROR(AveragePooling1D(-2, {.name = "adv_ap"}), lm::ValueError, "layer 'adv_ap' (AveragePooling1D)");
  EXPECT_NAMED_ERROR(SpatialDropout1D(kNaN, {.name = "adv_sd"}), lm::ValueError, "layer 'adv_sd' (SpatialDropout1D)");
  EXPECT_NAMED_ERROR(GaussianNoise(kNaN, {.name = "adv_gn"}), lm::ValueError, "layer 'adv_gn' (GaussianNoise)");
  EXPECT_NAMED_ERROR(GaussianNoise(std::numeric_limits<double>::infinity(), {.name = "adv_gn_inf"}), lm::ValueError,
                     "layer 'adv_gn_inf' (GaussianNoise)");
  EXPECT_NAMED_ERROR(Permute({}, "adv_perm"), lm::ValueError, "layer 'adv_perm' (Permute)");
  EXPECT_NAMED_ERROR(Permute({1, 3}, "adv_perm_gap"), lm::ValueError, "layer 'adv_perm_gap' (Permute)");
  EXPECT_NAMED_ERROR(UpSampling1D(-1, "adv_up"), lm::ValueError, "layer 'adv_up' (UpSampling1D)");
  EXPECT_NAMED_ERROR(Cropping1D({0, -3}, "adv_crop"), lm::ValueError, "layer 'adv_crop' (Cropping1D)");
}

TEST(AdversarialSequenceLayers, BadInputs) {
  EXPECT_NAMED_ERROR(Conv1D(2, 3, {.name = "adv_conv_rank"})(lm::ones({2, 3, 4, 5})), lm::ShapeError,
                     "layer 'adv_conv_rank' (Conv1D)");
  EXPECT_NAMED_ERROR(Conv1D(2, 3, {.name = "adv_conv_bool"})(lm::ones({2, 3, 4}, lm::Bool)), lm::DTypeError,
                     "layer 'adv_conv_bool' (Conv1D)");
  EXPECT_NAMED_ERROR(Conv1D(2, 3, {.data_format = "channels_first", .name = "adv_conv_cf_mask"})(
                         lm::ones({2, 4, 5}).with_mask(lm::ones({2, 4}, lm::Bool))),
                     lm::MaskError, "layer 'adv_conv_cf_mask' (Conv1D)");
  // A kernel longer than the (symbolic) sequence: zero steps, not an error.
  EXPECT_EQ(Conv1D(2, 9)(lm::Input({4, 3})).spec().str(), "float32 (None, 0, 2)");
  // Huge strides or dilation: the arithmetic must not overflow.
  EXPECT_SHAPE(Conv1D(1, 2, {.strides = std::numeric_limits<std::int64_t>::max()})(lm::ones({1, 5, 1})),
               lm::Shape({1, 1, 1}));
  EXPECT_SHAPE(MaxPooling1D(2, {.strides = std::numeric_limits<std::int64_t>::max(), .padding = "same"})(
                   lm::ones({1, 5, 1})),
               lm::Shape({1, 1, 1}));
  EXPECT_NAMED_ERROR(UpSampling1D(std::int64_t{1} << 62, "adv_up_huge")(lm::ones({1, 8, 1})), lm::ShapeError,
                     "layer 'adv_up_huge' (UpSampling1D)");
  EXPECT_NAMED_ERROR(UpSampling1D(std::int64_t{1} << 40, "adv_up_big")(lm::ones({1, 8, 1})), lm::ValueError,
                     "layer 'adv_up_big' (UpSampling1D)");
  // Empty batches and sequences go through.
  EXPECT_SHAPE(Conv1D(2, 2, {.padding = "same"})(lm::ones({0, 4, 3})), lm::Shape({0, 4, 2}));
  EXPECT_SHAPE(Conv1D(2, 2, {.padding = "causal"})(lm::ones({2, 0, 3})), lm::Shape({2, 0, 2}));
  EXPECT_SHAPE(AveragePooling1D(2, {.padding = "same"})(lm::ones({2, 0, 3})), lm::Shape({2, 0, 3}));
  EXPECT_SHAPE(UpSampling1D(2)(lm::ones({2, 0, 3})), lm::Shape({2, 0, 3}));
  EXPECT_SHAPE(ZeroPadding1D({1, 1})(lm::ones({0, 2, 3})), lm::Shape({0, 4, 3}));
  auto empty_masked = lm::ones({2, 0, 3}).with_mask(lm::ones({2, 0}, lm::Bool));
  EXPECT_MASK(Conv1D(2, 2, {.padding = "same"})(empty_masked), lm::Shape({2, 0}), {});
  EXPECT_MASK(MaxPooling1D()(empty_masked), lm::Shape({2, 0}), {});
}

}  // namespace
