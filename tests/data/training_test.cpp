// Model::fit on BucketedBatches: a masked Embedding -> LSTM -> Dense classifier and a
// per-timestep language model train for an epoch, and the masks make bucketed batches
// equivalent to one tensor padded to the longest sequence.
#include <cmath>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using lm::data::BucketedBatches;
using lm::data::Sequences;
using lm::data::Targets;

namespace {

// 48 sequences of 1..12 tokens in 1..9; the label says whether token 2 occurs.
void make_task(Sequences& seqs, std::vector<std::int64_t>& labels) {
  lm::Generator g(17);
  for (int i = 0; i < 48; ++i) {
    std::vector<std::int64_t> s(1 + g.next_u64() % 12);
    for (auto& t : s) t = 1 + static_cast<std::int64_t>(g.next_u64() % 9);
    labels.push_back(std::find(s.begin(), s.end(), 2) != s.end());
    seqs.push_back(std::move(s));
  }
}

bool any_changed(const lm::TensorList& before, const lm::TensorList& after) {
  for (std::size_t i = 0; i < before.size(); ++i)
    if (before[i].to_vector<float>() != after[i].to_vector<float>()) return true;
  return false;
}

}  // namespace

TEST(BucketedTraining, FitsAMaskedLstmClassifierForOneEpoch) {
  lm::set_seed(3);
  Sequences seqs;
  std::vector<std::int64_t> labels;
  make_task(seqs, labels);
  BucketedBatches train(seqs, Targets::labels(labels), {.batch_size = 8, .seed = 1});
  EXPECT_LT(train.padding_stats().padding_fraction(),
            BucketedBatches(seqs, Targets::labels(labels), {.batch_size = 8, .seed = 1, .bucketing = false})
                .padding_stats()
                .padding_fraction());

  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(10, 8, {.mask_zero = true})(tokens);
  auto probs = Dense(2, {.activation = "softmax"})(LSTM(8)(x));
  lm::Model model(tokens, probs);
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  auto before = model.get_weights();
  auto history = model.fit(train, {.epochs = 1, .verbose = 0});
  ASSERT_EQ(history["loss"].size(), 1u);
  EXPECT_TRUE(std::isfinite(history["loss"][0]));
  EXPECT_TRUE(any_changed(before, model.get_weights()));

  // Padded steps are skipped, so evaluating on bucketed batches (each padded to its own
  // longest sequence) gives the loss and accuracy of one batch padded to the longest of all.
  BucketedBatches eval(seqs, Targets::labels(labels), {.batch_size = 8, .shuffle = false});
  auto bucketed = model.evaluate(eval, {.verbose = 0});
  std::vector<std::int32_t> y(labels.begin(), labels.end());
  auto padded = lm::data::pad_sequences(seqs, {.padding = "post"}).without_mask();
  auto whole = model.evaluate(padded, lm::tensor(y), {.batch_size = 48, .verbose = 0});
  EXPECT_NEAR(bucketed["loss"], whole["loss"], 1e-5);
  EXPECT_NEAR(bucketed["accuracy"], whole["accuracy"], 1e-9);
}

TEST(BucketedTraining, FitsAPerTimestepLanguageModelForOneEpoch) {
  lm::set_seed(4);
  Sequences seqs;
  std::vector<std::int64_t> unused;
  make_task(seqs, unused);
  Sequences inputs, next;
  for (const auto& s : seqs) {
    std::vector<std::int64_t> with_start{10};  // a start token before each sequence
    with_start.insert(with_start.end(), s.begin(), s.end());
    inputs.emplace_back(with_start.begin(), with_start.end() - 1);
    next.emplace_back(with_start.begin() + 1, with_start.end());
  }
  BucketedBatches train(inputs, Targets::per_timestep(next), {.batch_size = 8, .seed = 2});
  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto x = Embedding(11, 8, {.mask_zero = true})(tokens);
  auto probs = Dense(11, {.activation = "softmax"})(LSTM(8, {.return_sequences = true})(x));
  lm::Model model(tokens, probs);
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  auto before = model.get_weights();
  auto history = model.fit(train, {.epochs = 1, .verbose = 0});
  ASSERT_EQ(history["loss"].size(), 1u);
  // Untrained, the loss is near log(11) = 2.40 per real token.
  EXPECT_GT(history["loss"][0], 1.5);
  EXPECT_LT(history["loss"][0], 3.0);
  EXPECT_TRUE(any_changed(before, model.get_weights()));
}
