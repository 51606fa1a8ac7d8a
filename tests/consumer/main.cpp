// A user's program built against the installed Lamina (scripts/test_consumer.sh): a small
// text classifier trained from raw strings with the data module -- TextVectorization for the
// ids, BucketedBatches for padded, masked batches -- and a masked LSTM. Prints the loss
// before and after training and exits with 1 unless training lowered it.
#include <cmath>
#include <cstdio>
#include <lamina/lamina.hpp>

namespace lm = lamina;
using namespace lamina::layers;

int main() {
  lm::set_seed(1);
  // Label 1 when the text mentions a cat, in sentences of different lengths.
  std::vector<std::string> texts = {"the cat sat",
                                    "a dog ran far away",
                                    "my cat is asleep now",
                                    "the dog barked",
                                    "one more cat",
                                    "dogs and birds sing",
                                    "cat",
                                    "a bird flew over the hill"};
  std::vector<std::int64_t> labels = {1, 0, 1, 0, 1, 0, 1, 0};

  lm::data::TextVectorization vectorizer;
  vectorizer.adapt(texts);
  lm::data::BucketedBatches batches(vectorizer.vectorize_ragged(texts), lm::data::Targets::labels(labels),
                                    {.batch_size = 4, .seed = 2});

  auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
  auto h = LSTM(8)(Embedding(vectorizer.vocabulary_size(), 4, {.mask_zero = true})(tokens));
  lm::Model model(tokens, Dense(2, {.activation = "softmax"})(h));
  model.compile({.optimizer = lm::optimizers::Adam(0.05), .loss = "sparse_categorical_crossentropy"});

  double before = model.evaluate(batches, {.verbose = 0})["loss"];
  model.fit(batches, {.epochs = 30, .verbose = 0});
  double after = model.evaluate(batches, {.verbose = 0})["loss"];
  std::printf("loss before: %.4f\nloss after: %.4f\n", before, after);
  if (!std::isfinite(after) || !(after < before)) {
    std::printf("training did not lower the loss\n");
    return 1;
  }
  return 0;
}
