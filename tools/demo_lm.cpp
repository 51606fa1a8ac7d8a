// lamina demo lm: a character-level language model of Austen's sentences. Every sentence has
// its own length; the per-timestep loss is masked, so padding never counts. Reports bits per
// character on held-out sentences and samples text with a temperature.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli.hpp"
#include "demos.hpp"
#include "lamina/core/random.hpp"
#include "lamina/data/bucketed_batches.hpp"
#include "lamina/data/text_vectorization.hpp"
#include "lamina/io/gzip.hpp"
#include "lamina/lamina.hpp"
#include "text_classifier.hpp"

namespace lamina::tools {

using namespace lamina::layers;

namespace {

struct NextChar {
  data::Sequences inputs, targets;
  std::int64_t characters = 0;
};

// Input: the sentence's characters but the last; target: the same shifted by one.
NextChar next_char(const data::TextVectorization& v, const std::vector<std::string>& texts) {
  NextChar out;
  for (const auto& s : v.vectorize_ragged(texts)) {
    if (s.size() < 2) continue;
    out.inputs.emplace_back(s.begin(), s.end() - 1);
    out.targets.emplace_back(s.begin() + 1, s.end());
    out.characters += static_cast<std::int64_t>(s.size() - 1);
  }
  return out;
}

// Samples `n` characters after `prompt`, drawing each from the softmax of logits / temperature.
std::string sample(Model& model, const data::TextVectorization& v, const std::string& prompt, int n,
                   double temperature, Generator& g) {
  std::vector<std::int64_t> ids = v.vectorize_one(prompt);
  std::string text = prompt;
  const auto& vocab = v.vocabulary();
  for (int step = 0; step < n; ++step) {
    std::vector<std::int32_t> in(ids.begin(), ids.end());
    Tensor logits = model.predict_on_batch(tensor(in, Shape{1, static_cast<std::int64_t>(in.size())}));
    auto all = logits.to_vector<double>();
    const std::size_t V = vocab.size(), last = (in.size() - 1) * V;
    std::vector<double> p(V);
    double top = -1e300, sum = 0;
    for (std::size_t k = 2; k < V; ++k) top = std::max(top, all[last + k] / temperature);
    for (std::size_t k = 2; k < V; ++k) sum += p[k] = std::exp(all[last + k] / temperature - top);  // never pad/OOV
    double u = g.uniform() * sum;
    std::size_t pick = 2;
    for (std::size_t k = 2; k < V; ++k) {
      u -= p[k];
      pick = k;
      if (u <= 0) break;
    }
    ids.push_back(static_cast<std::int64_t>(pick));
    text += vocab[pick];
  }
  return text;
}

}  // namespace

void run_demo_lm(const DemoArgs& a) {
  std::filesystem::create_directories(a.out);
  std::string dir = data_dir(a.data);
  LabelledTexts all = read_labelled(dir + "/austen/sentences.tsv.gz", false, nullptr);
  std::string split = io::read_maybe_gzip(dir + "/austen/split.txt.gz");
  std::vector<std::string> train, valid;
  std::size_t i = 0, pos = 0;
  while (pos < split.size() && i < all.texts.size()) {
    std::size_t end = split.find('\n', pos);
    if (end == std::string::npos) end = split.size();
    std::string which = split.substr(pos, end - pos);
    if (which == "train") train.push_back(all.texts[i]);
    if (which == "valid") valid.push_back(all.texts[i]);  // the test sentences stay unseen
    ++i;
    pos = end + 1;
  }
  data::TextVectorization v({.standardize = "none", .split = "character"});
  v.adapt(train);
  NextChar tr = next_char(v, train), va = next_char(v, valid);
  std::printf("Character-level language model of Austen's sentences: %zu training sentences (%lld characters), "
              "%zu held out; %lld distinct characters\n",
              tr.inputs.size(), static_cast<long long>(tr.characters), va.inputs.size(),
              static_cast<long long>(v.vocabulary_size()));
  if (a.quick) {  // a short check: a tenth of the data
    tr.inputs.resize(tr.inputs.size() / 10);
    tr.targets.resize(tr.targets.size() / 10);
  }
  set_seed(a.seed);
  auto chars = Input({None}, Int32, "characters");
  auto x = Embedding(v.vocabulary_size(), 32, {.mask_zero = true})(chars);
  x = LSTM(192, {.return_sequences = true})(x);
  Model model(chars, Dense(v.vocabulary_size(), {.name = "next_char"})(x), "char_lm");
  model.compile({.optimizer = optimizers::Adam(3e-3),
                 .loss = losses::SparseCategoricalCrossentropy({.from_logits = true})});
  model.summary();
  data::BucketedBatches batches(tr.inputs, data::Targets::per_timestep(tr.targets), {.batch_size = 64, .seed = a.seed});
  data::BucketedBatches held_out(va.inputs, data::Targets::per_timestep(va.targets), {.batch_size = 64, .shuffle = false});
  int epochs = a.quick ? 1 : (a.epochs > 0 ? a.epochs : 2);
  History h = model.fit(batches, {.epochs = epochs, .verbose = a.verbose, .validation_data = ValidationData{.source = &held_out}});
  double nats = h["val_loss"].back();
  std::printf("held-out bits per character: %.3f (loss %.4f nats per character)\n", nats / std::log(2.0), nats);
  Generator g(a.seed);
  for (double t : {0.5, 0.8})
    std::printf("\nsample, temperature %.1f:\n  %s\n", t,
                sample(model, v, "It is a truth universally acknowledged", 160, t, g).c_str());
  model->assets()["text_vectorization"] = v.get_config();
  std::string path = a.out + "/austen_lm.lamina";
  model.save(path);
  std::printf("\nsaved %s\n", path.c_str());
}

}  // namespace lamina::tools
