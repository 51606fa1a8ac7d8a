// Seed 003: manual tensor manipulation between layers must not break the mask flow. In
// Lamina the Embedding's mask rides on the tensor through `+ 1.0`, `* manual_mask` and
// `zeros_like`, and the RNN on the modified tensor equals running it on each row alone,
// without the padding.
#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;

namespace {

const std::vector<bool> kMask = {true, true, false, false, true, true, true, false};
const std::int64_t kLengths[] = {2, 3};

lm::Tensor seed_input() { return lm::tensor({{1, 2, 0, 0}, {3, 4, 5, 0}}); }

// Runs `rnn` on each row of `x` cut to its real length, with no mask at all.
void expect_matches_unpadded(const lm::LayerRef& rnn, const lm::Tensor& x, const lm::Tensor& batched) {
  ASSERT_EQ(batched.shape(), lm::Shape({2, 64}));
  for (std::int64_t r = 0; r < 2; ++r) {
    auto row = lm::slice(x.without_mask(), {lm::Range{r, r + 1}, lm::Range{0, kLengths[r]}});
    EXPECT_FALSE(row.has_mask());
    auto alone = rnn(row);
    auto got = lm::slice(batched, 0, lm::Range{r, r + 1});
    EXPECT_VALUES(got, alone.to_vector<double>(), 1e-6);
  }
  // And the mask is what makes it so: without it the padded steps change the result.
  auto unmasked = rnn(x.without_mask());
  EXPECT_GT(lm::max(lm::abs(unmasked - batched)).item<double>(), 1e-4);
}

}  // namespace

TEST(Seed003, ElementwiseAdditionKeepsTheMask) {
  Embedding embedding_layer(100, 32, {.mask_zero = true});
  auto embedded_tensor = embedding_layer(seed_input());
  auto modified_tensor = embedded_tensor + 1.0;
  EXPECT_MASK(modified_tensor, lm::Shape({2, 4}), kMask);
  EXPECT_SHAPE(modified_tensor, embedded_tensor.shape());
  LSTM lstm_layer(64);
  auto lstm_output_original = lstm_layer(embedded_tensor);
  auto lstm_output_modified = lstm_layer(modified_tensor);
  EXPECT_SHAPE(lstm_output_original, lm::Shape({2, 64}));
  expect_matches_unpadded(lstm_layer, modified_tensor, lstm_output_modified);
  expect_matches_unpadded(lstm_layer, embedded_tensor, lstm_output_original);
}

TEST(Seed003, MultiplyingByAManualMaskKeepsTheMask) {
  Embedding embedding_layer(100, 32, {.mask_zero = true});
  auto input_tensor = seed_input();
  auto embedded_tensor = embedding_layer(input_tensor);
  auto manual_mask = lm::cast(input_tensor != 0, lm::Float32);
  manual_mask = lm::expand_dims(manual_mask, -1);
  auto masked_tensor = embedded_tensor * manual_mask;
  EXPECT_MASK(masked_tensor, lm::Shape({2, 4}), kMask);
  GRU gru_layer(64);
  auto gru_output_modified = gru_layer(masked_tensor);
  expect_matches_unpadded(gru_layer, masked_tensor, gru_output_modified);
}

TEST(Seed003, ZerosLikeKeepsTheMask) {
  Embedding embedding_layer(100, 32, {.mask_zero = true});
  auto embedded_tensor = embedding_layer(seed_input());
  auto replaced_tensor = lm::zeros_like(embedded_tensor);
  EXPECT_MASK(replaced_tensor, lm::Shape({2, 4}), kMask);
  SimpleRNN rnn_layer(64);
  // Biases start at zero, so an all-zero sequence gives zeros whether or not padding counts;
  // give the layer a bias so that the padded steps would show.
  rnn_layer(replaced_tensor);
  rnn_layer->weights()[2].assign(lm::random_normal({64}, {.seed = 3}));
  auto rnn_output_modified = rnn_layer(replaced_tensor);
  expect_matches_unpadded(rnn_layer, replaced_tensor, rnn_output_modified);
}
