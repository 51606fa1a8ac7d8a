// fit / evaluate / predict semantics, checked with models whose outputs are known exactly.
#include <cmath>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

// y = w * x + b with frozen weights: losses are hand-computable, nothing trains.
lm::Model fixed_linear(float w, float b) {
  auto in = lm::Input({1}, lm::Float32, "x");
  auto dense = Dense(1, {.name = "fixed"});
  lm::Model model(in, dense(in));
  model.set_weights({lm::tensor(std::vector<float>{w}, lm::Shape{1, 1}), lm::tensor(std::vector<float>{b}, lm::Shape{1})});
  model.set_trainable(false);
  return model;
}

lm::Tensor column(const std::vector<float>& v) { return lm::tensor(v, lm::Shape{static_cast<std::int64_t>(v.size()), 1}); }

struct Recorder : lm::Callback {
  std::vector<std::string> events;
  void on_train_begin(const lm::Logs&) override { events.push_back("train_begin"); }
  void on_train_end(const lm::Logs&) override { events.push_back("train_end"); }
  void on_epoch_begin(int e, const lm::Logs&) override { events.push_back("epoch_begin " + std::to_string(e)); }
  void on_epoch_end(int e, const lm::Logs& logs) override {
    events.push_back("epoch_end " + std::to_string(e) + (logs.count("val_loss") ? " val" : ""));
  }
  void on_train_batch_begin(int b, const lm::Logs&) override { events.push_back("batch_begin " + std::to_string(b)); }
  void on_train_batch_end(int b, const lm::Logs&) override { events.push_back("batch_end " + std::to_string(b)); }
  void on_test_begin(const lm::Logs&) override { events.push_back("test_begin"); }
  void on_test_end(const lm::Logs&) override { events.push_back("test_end"); }
};

}  // namespace

TEST(Fit, ValidationSplitTakesTheLastSamplesBeforeShuffling) {
  auto model = fixed_linear(1, 0);
  model.compile({.optimizer = "sgd", .loss = "mae"});
  auto x = column({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  auto y = lm::zeros({10, 1});
  auto h = model.fit(x, y, {.batch_size = 3, .epochs = 2, .verbose = 0, .validation_split = 0.2, .shuffle = true});
  // Training: samples 1..8, mean |x| = 4.5 (batch means weighted by batch size); validation: 9 and 10.
  EXPECT_NEAR(h["loss"][0], 4.5, 1e-6);  // float32 arithmetic
  EXPECT_NEAR(h["val_loss"][0], 9.5, 1e-6);
  EXPECT_NEAR(h["val_loss"][1], 9.5, 1e-6);
}

TEST(Fit, BatchesAreCeilOfSamplesOverBatchSizeTheLastPartial) {
  std::vector<std::int64_t> sizes;
  auto in = lm::Input({1});
  auto probe = Lambda([&](const lm::Tensor& t) {
    if (!t.is_symbolic()) sizes.push_back(t.dim(0));
    return t;
  });
  auto dense = Dense(1);
  lm::Model model(in, dense(probe(in)));
  model.compile({.optimizer = "sgd", .loss = "mse"});
  auto rec = std::make_shared<Recorder>();
  model.fit(column({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), lm::zeros({10, 1}),
            {.batch_size = 4, .epochs = 1, .verbose = 0, .callbacks = {rec}, .shuffle = false});
  ASSERT_GE(sizes.size(), 3u);
  std::vector<std::int64_t> last(sizes.end() - 3, sizes.end());
  EXPECT_EQ(last, (std::vector<std::int64_t>{4, 4, 2}));
  EXPECT_EQ(std::count(rec->events.begin(), rec->events.end(), "batch_end 2"), 1);
  EXPECT_EQ(std::count(rec->events.begin(), rec->events.end(), "batch_end 3"), 0);
}

TEST(Fit, EpochsIsTheFinalEpochIndex) {
  auto model = fixed_linear(1, 0);
  model.compile({.optimizer = "sgd", .loss = "mse"});
  auto rec = std::make_shared<Recorder>();
  auto h = model.fit(column({1, 2}), lm::zeros({2, 1}), {.epochs = 5, .verbose = 0, .callbacks = {rec}, .initial_epoch = 2});
  EXPECT_EQ(h.epochs, (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(rec->events.front(), "train_begin");
  EXPECT_EQ(rec->events[1], "epoch_begin 2");
  EXPECT_EQ(rec->events.back(), "train_end");
  EXPECT_LAMINA_ERROR(model.fit(column({1}), lm::zeros({1, 1}), {.epochs = 1, .initial_epoch = 2}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("initial_epoch")); });
}

TEST(Fit, CallbackHooksRunInKerasOrder) {
  auto model = fixed_linear(1, 0);
  model.compile({.optimizer = "sgd", .loss = "mse"});
  auto rec = std::make_shared<Recorder>();
  model.fit(column({1, 2, 3, 4}), lm::zeros({4, 1}),
            {.batch_size = 2, .epochs = 2, .verbose = 0, .callbacks = {rec}, .validation_split = 0.5, .validation_freq = 2});
  std::vector<std::string> expected = {
      "train_begin", "epoch_begin 0", "batch_begin 0", "batch_end 0",   "epoch_end 0", "epoch_begin 1",
      "batch_begin 0", "batch_end 0", "test_begin",    "test_end",      "epoch_end 1 val", "train_end"};
  EXPECT_EQ(rec->events, expected);
}

TEST(Fit, SampleWeightsPerSampleAndPerTimestep) {
  auto model = fixed_linear(1, 0);
  model.compile({.optimizer = "sgd", .loss = "mae"});
  // Keras: Σ w·l / number of entries (not / Σ w).
  auto logs = model.evaluate(column({1, 2, 3, 4}), lm::zeros({4, 1}), {.verbose = 0, .sample_weight = lm::tensor({1.f, 0.f, 2.f, 0.5f})});
  EXPECT_DOUBLE_EQ(logs["loss"], (1 * 1 + 0 * 2 + 2 * 3 + 0.5 * 4) / 4.0);

  // Per-timestep weights on a sequence output (B, T, 1): loss entries are (B, T).
  auto in = lm::Input({3, 1});
  auto dense = Dense(1, {.name = "td"});
  lm::Model seq(in, dense(in));
  seq.set_weights({lm::ones({1, 1}), lm::zeros({1})});
  seq.compile({.optimizer = "sgd", .loss = "mae"});
  auto x = lm::tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, lm::Shape{2, 3, 1});
  auto sw = lm::tensor(std::vector<float>{1, 1, 0, 0, 2, 1}, lm::Shape{2, 3});
  auto l2 = seq.evaluate(x, lm::zeros({2, 3, 1}), {.verbose = 0, .sample_weight = sw});
  EXPECT_NEAR(l2["loss"], (1 + 2 + 0 + 0 + 10 + 6) / 6.0, 1e-6);
}

TEST(Fit, ClassWeightMultipliesTheLossInTrainingOnly) {
  auto in = lm::Input({1});
  auto dense = Dense(2, {.activation = "softmax", .name = "probs"});
  lm::Model model(in, dense(in));
  model.set_weights({lm::zeros({1, 2}), lm::tensor({0.f, 0.f})});
  model.set_trainable(false);
  model.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy"});
  // Uniform predictions: every sample's loss is log 2.
  auto y = lm::tensor({0, 1, 1, 0});
  auto h = model.fit(column({1, 2, 3, 4}), y, {.batch_size = 4, .verbose = 0, .class_weight = {{0, 3.0}, {1, 0.5}}});
  EXPECT_NEAR(h["loss"][0], std::log(2.0) * (3 + 0.5 + 0.5 + 3) / 4.0, 1e-6);
  auto logs = model.evaluate(column({1, 2, 3, 4}), y, {.verbose = 0});
  EXPECT_NEAR(logs["loss"], std::log(2.0), 1e-6);
}

TEST(Fit, TwoRunsWithTheSameSeedGiveBitIdenticalWeights) {
  auto run = [] {
    lm::clear_session();
    lm::set_seed(42);
    auto in = lm::Input({4});
    auto x = Dense(8, {.activation = "tanh"})(in);
    x = Dropout(0.3)(x);
    auto model = lm::Model(in, Dense(1)(x));
    model.compile({.optimizer = "adam", .loss = "mse"});
    auto data = lm::random_normal({50, 4});
    auto target = lm::sum(data, 1, true);
    model.fit(data, target, {.batch_size = 8, .epochs = 3, .verbose = 0});
    return model.get_weights();
  };
  auto a = run(), b = run();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].to_vector<float>(), b[i].to_vector<float>());
}

namespace {
// Batches of variable-length token sequences, each padded to its own longest one.
struct RaggedSource : lm::BatchSource {
  std::vector<std::vector<std::vector<int>>> batches;
  std::int64_t size() const override { return static_cast<std::int64_t>(batches.size()); }
  lm::Batch get(std::int64_t i) override {
    const auto& b = batches.at(i);
    std::size_t len = 0;
    for (const auto& s : b) len = std::max(len, s.size());
    std::vector<int> ids;
    std::vector<float> y;
    for (const auto& s : b) {
      for (std::size_t t = 0; t < len; ++t) ids.push_back(t < s.size() ? s[t] : 0);
      y.push_back(static_cast<float>(s.size()) / 10.f);
    }
    auto n = static_cast<std::int64_t>(b.size());
    return {{lm::tensor(ids, lm::Shape{n, static_cast<std::int64_t>(len)})}, {lm::tensor(y, lm::Shape{n, 1})}, {}};
  }
};
}  // namespace

TEST(Fit, BatchSourceWithBatchesOfDifferentLengths) {
  lm::set_seed(3);
  auto tokens = lm::Input({lm::None}, lm::Int32);
  auto x = Embedding(10, 4, {.mask_zero = true})(tokens);
  x = LSTM(4)(x);
  lm::Model model(tokens, Dense(1)(x));
  model.compile({.optimizer = "adam", .loss = "mse"});
  RaggedSource src;
  src.batches = {{{1, 2}, {3}}, {{1, 2, 3, 4, 5}, {2, 2}, {7, 8, 9}}, {{4, 4, 4, 4, 4, 4, 4}}};
  auto h = model.fit(src, {.epochs = 2, .verbose = 0});
  EXPECT_EQ(h["loss"].size(), 2u);
  EXPECT_TRUE(std::isfinite(h["loss"][1]));
  auto logs = model.evaluate(src, {.verbose = 0});
  EXPECT_TRUE(std::isfinite(logs["loss"]));
  EXPECT_LAMINA_ERROR(model.fit(src, {.batch_size = 4}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("BatchSource")); });
  // Outputs of batches with different lengths cannot be joined unless the output is pooled.
  EXPECT_EQ(model.predict(src).size(), 1u);
}

TEST(Fit, NonFiniteLossNamesTheBatchAndTheFirstLayer) {
  auto in = lm::Input({1});
  auto d = Dense(1, {.name = "d"});
  auto bad = Lambda([](const lm::Tensor& t) { return lm::log(t); }, {.name = "bad_log"});
  lm::Model model(in, bad(d(in)));
  model.set_weights({lm::tensor(std::vector<float>{-1}, lm::Shape{1, 1}), lm::zeros({1})});  // log of negatives: NaN
  model.compile({.optimizer = "sgd", .loss = "mse"});
  EXPECT_LAMINA_ERROR(model.fit(column({1, 2}), lm::zeros({2, 1}), {.verbose = 0}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("epoch 0, batch 0"));
    EXPECT_THAT(msg, HasSubstr("layer 'bad_log' (Lambda)"));
  });
  // TerminateOnNaN ends training quietly instead.
  ::testing::internal::CaptureStdout();
  auto h = model.fit(column({1, 2}), lm::zeros({2, 1}), {.epochs = 3, .verbose = 0, .callbacks = {lm::callbacks::TerminateOnNaN()}});
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_THAT(out, HasSubstr("Invalid loss, terminating training"));
  EXPECT_LE(h.epochs.size(), 1u);
}

TEST(Fit, EvaluatePredictAndOnBatchForms) {
  auto model = fixed_linear(2, 1);
  model.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
  auto x = column({0, 1, 2});
  auto y = column({1, 3, 6});  // predictions 1, 3, 5: errors 0, 0, 1
  auto logs = model.evaluate(x, y, {.batch_size = 2, .verbose = 0});
  EXPECT_NEAR(logs["loss"], 1.0 / 3, 1e-6);
  EXPECT_NEAR(logs["mae"], 1.0 / 3, 1e-6);
  lm::Tensor p = model.predict(x, {.batch_size = 2});
  EXPECT_VALUES(p, {1, 3, 5});
  EXPECT_VALUES(lm::Tensor(model.predict_on_batch(x)), {1, 3, 5});
  auto t = model.test_on_batch(x, y);
  EXPECT_NEAR(t["loss"], 1.0 / 3, 1e-6);
  auto tr = model.train_on_batch(x, y);
  EXPECT_NEAR(tr["loss"], 1.0 / 3, 1e-6);
}

TEST(Fit, MisuseIsReportedClearly) {
  auto in = lm::Input({1});
  lm::Model model(in, Dense(1)(in));
  EXPECT_LAMINA_ERROR(model.fit(column({1}), column({1})), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("compile")); });
  model.compile({.optimizer = "sgd", .loss = "mse"});
  EXPECT_LAMINA_ERROR(model.fit(column({1, 2}), column({1})), lm::ShapeError, {
    EXPECT_THAT(msg, HasSubstr("2 samples"));
    EXPECT_THAT(msg, HasSubstr("y has 1"));
  });
  EXPECT_LAMINA_ERROR(model.fit(column({1, 2}), column({1, 2}), {.validation_split = 1.5}), lm::ValueError,
                      { EXPECT_THAT(msg, HasSubstr("validation_split")); });
  EXPECT_LAMINA_ERROR(model.compile({.loss = {{"nope", "mse"}}}), lm::ValueError, { EXPECT_THAT(msg, HasSubstr("'nope'")); });
}

TEST(Fit, MultiOutputLossesWeightsAndMetricNames) {
  auto in = lm::Input({1}, lm::Float32, "x");
  auto a = Dense(1, {.name = "a"});
  auto b = Dense(1, {.name = "b"});
  lm::Model model(in, {a(in), b(in)});
  model.set_weights({lm::ones({1, 1}), lm::zeros({1}), lm::ones({1, 1}), lm::ones({1})});
  model.set_trainable(false);
  model.compile({.optimizer = "sgd",
                 .loss = {{"a", "mae"}, {"b", "mse"}},
                 .loss_weights = {{"a", 1.0}, {"b", 0.5}},
                 .metrics = {{"b", {"mae"}}}});
  auto logs = model.evaluate(column({1, 2}), {lm::zeros({2, 1}), lm::zeros({2, 1})}, {.verbose = 0});
  // a: |1|, |2| -> 1.5; b: (2^2 + 3^2) / 2 = 6.5; total 1.5 + 0.5 * 6.5
  EXPECT_NEAR(logs["a_loss"], 1.5, 1e-6);
  EXPECT_NEAR(logs["b_loss"], 6.5, 1e-6);
  EXPECT_NEAR(logs["loss"], 1.5 + 3.25, 1e-6);
  EXPECT_NEAR(logs["b_mae"], 2.5, 1e-6);
}

TEST(Fit, FrozenLayersGetNoUpdates) {
  lm::set_seed(8);
  auto in = lm::Input({3});
  auto frozen = Dense(4, {.name = "frozen"});
  auto head = Dense(1, {.name = "head"});
  lm::Model model(in, head(frozen(in)));
  frozen->set_trainable(false);
  model.compile({.optimizer = "adam", .loss = "mse"});
  auto before = model.get_weights();
  model.fit(lm::random_normal({16, 3}), lm::random_normal({16, 1}), {.batch_size = 4, .epochs = 2, .verbose = 0});
  auto after = model.get_weights();
  EXPECT_EQ(before[0].to_vector<float>(), after[0].to_vector<float>());  // frozen/kernel
  EXPECT_EQ(before[1].to_vector<float>(), after[1].to_vector<float>());  // frozen/bias
  EXPECT_NE(before[2].to_vector<float>(), after[2].to_vector<float>());  // head/kernel trained
  EXPECT_THAT(model.summary_string(), HasSubstr("Non-trainable params: 16 (64.00 B)"));
}
