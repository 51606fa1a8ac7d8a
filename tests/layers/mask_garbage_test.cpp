// The layer rows of DESIGN.md section 5 with garbage at the masked entries (issue 8, bug 2):
// NaN, +inf and -inf at every masked step give the same valid outputs and the same
// gradients -- of the inputs and of every weight -- as zeros there. (The op rows are in
// tests/ops/mask_garbage_test.cpp; the new layers' own files check theirs.)
#include "masked_garbage.hpp"
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using lm::Tensor;
using lm::TensorList;

namespace {

Tensor bools(const std::vector<bool>& v, const lm::Shape& s) { return lm::tensor(v, s, lm::Bool); }

// (2, 5, 3): the first sequence padded after 3 steps, the second after 4.
Tensor sequences(std::uint64_t seed, std::int64_t features = 3) {
  return lm::random_normal({2, 5, features}, {.seed = seed})
      .with_mask(bools({true, true, true, false, false, true, true, true, true, false}, {2, 5}));
}

// Calls `layer` once (building it), then checks garbage on its inputs with its weights.
void check_layer(const lm::LayerRef& layer, const TensorList& inputs, const lm::CallOptions& options = {}) {
  SCOPED_TRACE(layer->type() + " '" + layer->name() + "'");
  (*layer)(inputs, options);
  EXPECT_GARBAGE_IGNORED([&](const TensorList& in) { return (*layer)(in, options).at(0); }, inputs, layer->weights());
}

}  // namespace

TEST(LayerMaskGarbage, MaskingKeepsAPriorMask) {
  // Masking(0) on a sequence that already has a mask: the masked steps stay masked.
  check_layer(Masking(), {sequences(1)});
}

TEST(LayerMaskGarbage, DenseTimeDistributedActivation) {
  check_layer(Dense(4, {.activation = "tanh"}), {sequences(2)});
  check_layer(Dense(4, {.activation = "softmax"}), {sequences(3)});
  check_layer(TimeDistributed(Dense(2, {.activation = "relu"})), {sequences(4)});
  for (const char* act : {"gelu", "selu", "elu", "softsign", "swish", "mish", "leaky_relu", "log_sigmoid", "hard_silu",
                          "softplus", "exponential", "relu6", "log_softmax"})
    check_layer(Activation(act), {sequences(5)});
  check_layer(Lambda([](const Tensor& t) { return lm::log(lm::abs(t) + 1.0f) * t; }), {sequences(6)});
  check_layer(Flatten(), {sequences(7).without_mask().with_mask(bools({true, false}, {2}))});
}

TEST(LayerMaskGarbage, Normalization) {
  check_layer(LayerNormalization({.beta_initializer = "random_normal", .gamma_initializer = "random_normal"}),
              {sequences(8)});
  check_layer(LayerNormalization({.axis = {1, 2}}), {sequences(9)});
  check_layer(LayerNormalization({.rms_scaling = true}), {sequences(10)});
  check_layer(BatchNormalization(), {sequences(11)}, {.training = true});
  check_layer(BatchNormalization(), {sequences(12)}, {.training = false});
}

TEST(LayerMaskGarbage, Dropout) {
  // A fresh layer with the same seed per run, so that every run (zeros, NaN, +inf, -inf at
  // the masked steps) drops the same entries; one layer would draw new ones each call.
  EXPECT_GARBAGE_IGNORED([](const TensorList& in) { return Dropout(0.3, {.seed = 4})(in[0], {.training = true}); },
                         {sequences(13)});
  check_layer(Dropout(0.3, {.seed = 4}), {sequences(13)}, {.training = false});
}

TEST(LayerMaskGarbage, GlobalPoolings) {
  check_layer(GlobalAveragePooling1D(), {sequences(14)});
  check_layer(GlobalMaxPooling1D(), {sequences(15)});
  check_layer(GlobalMaxPooling1D({.keepdims = true}), {sequences(16)});
}

TEST(LayerMaskGarbage, MergeLayers) {
  const Tensor a = sequences(17), b = sequences(18).without_mask().with_mask(
                                      bools({true, false, true, true, false, true, true, true, true, true}, {2, 5}));
  for (auto layer :
       {lm::LayerRef(Add()), lm::LayerRef(Subtract()), lm::LayerRef(Multiply()), lm::LayerRef(Average()),
        lm::LayerRef(Maximum()), lm::LayerRef(Minimum()), lm::LayerRef(Concatenate()), lm::LayerRef(Concatenate(1))})
    check_layer(layer, {a, b});
  check_layer(Add(), {a, lm::random_normal({2, 3}, {.seed = 19})});  // broadcast over time
}

TEST(LayerMaskGarbage, RecurrentLayers) {
  for (bool seqs : {false, true}) {
    check_layer(SimpleRNN(3, {.return_sequences = seqs}), {sequences(20)});
    check_layer(LSTM(3, {.return_sequences = seqs}), {sequences(21)});
    check_layer(GRU(3, {.return_sequences = seqs}), {sequences(22)});
    check_layer(GRU(3, {.return_sequences = seqs, .go_backwards = true, .reset_after = false}), {sequences(23)});
    // The general path (activations the fused kernels do not have): every cell, both directions.
    check_layer(LSTM(2, {.activation = "gelu", .return_sequences = seqs}), {sequences(24)});
    check_layer(SimpleRNN(2, {.activation = "swish", .return_sequences = seqs}), {sequences(30)});
    check_layer(GRU(2, {.activation = "gelu", .return_sequences = seqs, .go_backwards = true}), {sequences(31)});
    check_layer(Bidirectional(GRU(2, {.activation = "mish", .return_sequences = seqs})), {sequences(32)});
    check_layer(Bidirectional(LSTM(2, {.return_sequences = seqs})), {sequences(25)});
  }
}

TEST(LayerMaskGarbage, Attention) {
  const Tensor q = sequences(26), v = sequences(27).without_mask().with_mask(
                                      bools({true, true, false, false, false, true, true, true, true, true}, {2, 5}));
  check_layer(Attention(), {q, v});
  check_layer(Attention({.use_scale = true, .score_mode = "concat"}), {q, v});
  check_layer(Attention({.use_causal_mask = true}), {q, v, sequences(28)});
  check_layer(MultiHeadAttention(2, 3), {q, v});
  check_layer(MultiHeadAttention(2, 2, {.value_dim = 3, .use_causal_mask = true}), {q, v, sequences(29)});
  // Only the keys/values masked.
  check_layer(MultiHeadAttention(1, 2), {q.without_mask(), v});
}
