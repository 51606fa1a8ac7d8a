// The seed documents' training examples (../shared/seeds/001, 002, 004) written with Lamina,
// and the masked-loss equivalence that makes padding harmless.
#include <cmath>

#include "test_util.hpp"

namespace lm = lamina;
using namespace lamina::layers;
using ::testing::HasSubstr;

// Seed 001, example 2: a Lambda computing a weighted sum over the embedding axis; Lamina infers
// the (None, 10) output shape, so the model trains for an epoch with a finite loss.
TEST(Seed001, WeightedSumLambdaTrainsOneEpoch) {
  lm::set_seed(7);
  auto input = lm::Input({10, 100});
  auto weighted_sum = Lambda([](const lm::Tensor& x) {
    auto weights = lm::random_normal({x.dim(2)});
    return lm::sum(x * weights, 2);
  })(input);
  EXPECT_EQ(weighted_sum.shape(), lm::Shape({lm::None, 10}));
  lm::Model model(input, weighted_sum);
  model.compile({.optimizer = "adam", .loss = "mse"});
  auto h = model.fit(lm::random_normal({10, 10, 100}), lm::random_normal({10, 10}), {.epochs = 1, .verbose = 0});
  ASSERT_EQ(h["loss"].size(), 1u);
  EXPECT_TRUE(std::isfinite(h["loss"][0]));
}

// Seed 001, example 3, with a Dense before a non-differentiable selection: fit refuses to
// start, naming the Dense weights, the op that cut their path and the layer it is in.
TEST(Seed001, NonDifferentiableSelectionIsReportedBeforeTheFirstStep) {
  for (const char* op : {"round", "cast"}) {
    lm::clear_session();
    auto input = lm::Input({10, 100});
    auto x = Dense(100)(input);
    std::string which = op;
    auto select = Lambda(
        [which](const lm::Tensor& t) {
          if (which == "round") return lm::round(t);
          return lm::cast(lm::cast(t, lm::Int32), lm::Float32);  // indices-like integers
        },
        {.name = "select_random"});
    lm::Model model(input, select(x));
    model.compile({.optimizer = "adam", .loss = "mse"});
    auto before = model.get_weights()[0].to_vector<float>();
    EXPECT_LAMINA_ERROR(model.fit(lm::random_normal({10, 10, 100}), lm::random_normal({10, 10, 100}), {.verbose = 0}),
                        lm::GradientError, {
                          EXPECT_THAT(msg, HasSubstr("'dense/kernel', 'dense/bias'"));
                          EXPECT_THAT(msg, HasSubstr(std::string("op '") + op + "'"));
                          EXPECT_THAT(msg, HasSubstr("layer 'select_random' (Lambda)"));
                        });
    EXPECT_EQ(model.get_weights()[0].to_vector<float>(), before);  // no step was taken
  }
}

namespace {

lm::Tensor safe_transform(const lm::Tensor& x) {
  if (lm::sum(x) > 0) return x * 2;  // every branch returns a tensor
  return lm::zeros_like(x);
}

}  // namespace

// Seed 002, example 3: GradientTape + apply_gradients trains; fit on the same data and
// initial weights gives bit-identical weights.
TEST(Seed002, CustomLoopAndFitGiveIdenticalWeights) {
  auto build = [] {
    auto input = lm::Input({3});
    auto x = Dense(3, {.name = "dense"})(input);
    x = Lambda(safe_transform)(x);
    x = Lambda([](const lm::Tensor& t) { return t * 2; })(x);
    return lm::Model(input, x);
  };
  lm::set_seed(11);
  auto looped = build();
  auto fitted = build();
  // Identity kernel, bias 1: the batch sum is positive, so safe_transform takes its x * 2
  // branch (the other returns zeros, through which no gradient can flow).
  looped.set_weights({lm::tensor({{1.f, 0.f, 0.f}, {0.f, 1.f, 0.f}, {0.f, 0.f, 1.f}}), lm::ones({3})});
  fitted.set_weights(looped.get_weights());
  auto X = lm::tensor({{1.f, 2.f, 3.f}, {-1.f, -2.f, -3.f}});
  auto y = lm::tensor({{2.f, 4.f, 6.f}, {0.f, 0.f, 0.f}});

  auto optimizer = lm::optimizers::Adam(0.01);
  auto loss_fn = lm::losses::MeanSquaredError();
  const int steps = 5;
  for (int i = 0; i < steps; ++i) {
    lm::GradientTape tape;
    auto y_pred = looped(X, {.training = true});
    auto loss = (*loss_fn)(y, y_pred);
    auto grads = tape.gradient(loss, looped.trainable_weights());
    optimizer->apply_gradients(grads, looped.trainable_weights());
  }

  fitted.compile({.optimizer = lm::optimizers::Adam(0.01), .loss = "mse"});
  fitted.fit(X, y, {.batch_size = 2, .epochs = steps, .verbose = 0, .shuffle = false});
  auto a = looped.get_weights(), b = fitted.get_weights();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].to_vector<float>(), b[i].to_vector<float>());
  EXPECT_NE(a[0].to_vector<float>(), build().get_weights()[0].to_vector<float>());  // it did train
}

// Seed 004, example 2: Embedding(mask_zero) -> LSTM(return_sequences) -> Dense with per-timestep
// targets and weights. The first epoch's loss is the masked mean computed by hand from the
// initial predictions, and training lowers it.
TEST(Seed004, MaskedSequenceModelWithPerTimestepWeights) {
  lm::set_seed(5);
  lm::Sequential model({lm::Input({lm::None}, lm::Int32), Embedding(1000, 64, {.mask_zero = true}),
                        LSTM(128, {.return_sequences = true}), Dense(1)});
  auto sequences = lm::tensor({{1, 2, 3, 0, 0}, {4, 5, 6, 7, 8}});
  auto weights = lm::tensor({{1.f, 1.f, 0.5f, 0.f, 0.f}, {1.f, 1.f, 1.f, 2.f, 1.f}});
  auto targets = lm::tensor(std::vector<float>{1, 1, 1, 1, 1, 2, 2, 2, 2, 2}, lm::Shape{2, 5, 1});
  model.compile({.optimizer = "adam", .loss = "mse"});

  lm::Tensor pred = model.predict(sequences);
  EXPECT_MASK(pred, lm::Shape({2, 5}), {true, true, true, false, false, true, true, true, true, true});
  auto p = pred.to_vector<double>();
  auto w = weights.to_vector<double>();
  auto t = targets.to_vector<double>();
  std::vector<bool> valid = {true, true, true, false, false, true, true, true, true, true};
  double sum = 0, count = 0;
  for (std::size_t i = 0; i < 10; ++i)
    if (valid[i]) {
      sum += (p[i] - t[i]) * (p[i] - t[i]) * w[i];
      count += 1;
    }
  auto h = model.fit(sequences, targets, {.epochs = 10, .verbose = 0, .sample_weight = weights});
  EXPECT_NEAR(h["loss"][0], sum / count, 1e-6 * std::max(1.0, sum / count));
  EXPECT_LT(h["loss"][9], h["loss"][0]);
}

// A return_sequences model on a padded batch has the loss and the gradients of the same model
// run on each unpadded sequence, combined by hand (weighted by their valid steps).
TEST(MaskedLoss, PaddedBatchEqualsUnpaddedSequencesCombined) {
  lm::set_seed(9);
  auto tokens = lm::Input({lm::None}, lm::Int32);
  auto x = Embedding(10, 4, {.mask_zero = true})(tokens);
  x = LSTM(5, {.return_sequences = true})(x);
  lm::Model model(tokens, Dense(3)(x));
  auto loss_fn = lm::losses::SparseCategoricalCrossentropy({.from_logits = true});
  auto vars = model.trainable_weights();

  auto loss_and_grads = [&](const lm::Tensor& ids, const lm::Tensor& labels) {
    lm::GradientTape tape;
    auto loss = (*loss_fn)(labels, model(ids));
    auto grads = tape.gradient(loss, vars);
    std::vector<std::vector<double>> g;
    for (auto& gi : grads) g.push_back(gi->to_vector<double>());
    return std::pair{loss.item<double>(), g};
  };
  auto [padded_loss, padded_grads] =
      loss_and_grads(lm::tensor({{1, 2, 3, 0}, {4, 5, 0, 0}}), lm::tensor({{0, 1, 2, 0}, {1, 0, 0, 0}}));
  auto [l0, g0] = loss_and_grads(lm::tensor({{1, 2, 3}}), lm::tensor({{0, 1, 2}}));
  auto [l1, g1] = loss_and_grads(lm::tensor({{4, 5}}), lm::tensor({{1, 0}}));
  EXPECT_NEAR(padded_loss, (3 * l0 + 2 * l1) / 5, 1e-6);
  for (std::size_t k = 0; k < vars.size(); ++k)
    for (std::size_t i = 0; i < g0[k].size(); ++i)
      EXPECT_NEAR(padded_grads[k][i], (3 * g0[k][i] + 2 * g1[k][i]) / 5, 1e-6) << vars[k].name() << "[" << i << "]";

  model.compile({.optimizer = "sgd", .loss = loss_fn});
  auto logs = model.test_on_batch(lm::tensor({{1, 2, 3, 0}, {4, 5, 0, 0}}), lm::tensor({{0, 1, 2, 0}, {1, 0, 0, 0}}));
  EXPECT_NEAR(logs["loss"], padded_loss, 1e-6);
}
