// Built-in callbacks, driven with scripted logs so every decision is checked exactly.
#include <filesystem>
#include <fstream>

#include "test_util.hpp"

namespace lm = lamina;
namespace fs = std::filesystem;
using namespace lamina::layers;
using ::testing::HasSubstr;

namespace {

lm::Model small_model() {
  auto in = lm::Input({2});
  lm::Model m(in, Dense(1, {.name = "out"})(in));
  m.compile({.optimizer = lm::optimizers::SGD(0.1), .loss = "mse"});
  return m;
}

// Runs a callback over epochs with the given monitored values; returns the epochs run.
int drive(lm::Callback& cb, lm::Model& model, const std::string& key, const std::vector<double>& values,
          const std::function<void(int)>& before_end = {}) {
  cb.set_model(&model);
  model.stop_training() = false;
  cb.on_train_begin({});
  int e = 0;
  for (; e < static_cast<int>(values.size()); ++e) {
    cb.on_epoch_begin(e, {});
    if (before_end) before_end(e);
    cb.on_epoch_end(e, {{key, values[e]}, {"loss", 1.0}});
    if (model.stop_training()) {
      ++e;
      break;
    }
  }
  cb.on_train_end({});
  return e;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutImprovement) {
  auto model = small_model();
  auto cb = lm::callbacks::EarlyStopping({.patience = 2});
  // Best at epoch 1 (0.5); epochs 2 and 3 do not improve: stop after epoch 3.
  EXPECT_EQ(drive(*cb, model, "val_loss", {1.0, 0.5, 0.6, 0.55, 0.1}), 4);
  // min_delta: 0.5 -> 0.45 is not an improvement of more than 0.1.
  auto strict = lm::callbacks::EarlyStopping({.min_delta = 0.1, .patience = 1});
  EXPECT_EQ(drive(*strict, model, "val_loss", {1.0, 0.5, 0.45, 0.2}), 3);
  // Accuracy is maximised in "auto" mode.
  auto acc = lm::callbacks::EarlyStopping({.monitor = "val_accuracy", .patience = 1});
  EXPECT_EQ(drive(*acc, model, "val_accuracy", {0.5, 0.6, 0.7, 0.65, 0.9}), 4);
  // start_from_epoch ignores the first epochs.
  auto late = lm::callbacks::EarlyStopping({.patience = 1, .start_from_epoch = 2});
  EXPECT_EQ(drive(*late, model, "val_loss", {0.1, 0.9, 1.0, 1.1, 1.2}), 4);
}

TEST(EarlyStopping, RestoresTheBestWeights) {
  auto model = small_model();
  auto cb = lm::callbacks::EarlyStopping({.patience = 1, .restore_best_weights = true});
  // Epoch e ends with every weight equal to e.
  drive(*cb, model, "val_loss", {0.9, 0.2, 0.5, 0.7}, [&](int e) {
    model.set_weights({lm::full({2, 1}, static_cast<float>(e)), lm::full({1}, static_cast<float>(e))});
  });
  EXPECT_VALUES(model.get_weights()[0], {1, 1});  // epoch 1 was the best
}

TEST(ModelCheckpoint, FormatsThePathAndSavesOnlyImprovements) {
  auto model = small_model();
  auto dir = fs::temp_directory_path() / "lamina_ckpt_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto pattern = (dir / "m-{epoch:02d}-{val_loss:.2f}.lamina").string();
  auto cb = lm::callbacks::ModelCheckpoint(pattern, {.save_best_only = true});
  drive(*cb, model, "val_loss", {0.5, 0.7, 0.25});
  EXPECT_TRUE(fs::exists(dir / "m-01-0.50.lamina"));
  EXPECT_FALSE(fs::exists(dir / "m-02-0.70.lamina"));
  EXPECT_TRUE(fs::exists(dir / "m-03-0.25.lamina"));
  auto loaded = lm::load_model((dir / "m-03-0.25.lamina").string());
  EXPECT_EQ(loaded.get_weights()[0].to_vector<float>(), model.get_weights()[0].to_vector<float>());
  auto bad = lm::callbacks::ModelCheckpoint((dir / "x-{accuracy}.lamina").string());
  EXPECT_LAMINA_ERROR(drive(*bad, model, "val_loss", {0.5}), lm::ValueError, {
    EXPECT_THAT(msg, HasSubstr("'accuracy'"));
    EXPECT_THAT(msg, HasSubstr("val_loss"));
  });
}

TEST(CSVLogger, WritesOneRowPerEpochInNameOrder) {
  auto model = small_model();
  auto path = (fs::temp_directory_path() / "lamina_history.csv").string();
  auto cb = lm::callbacks::CSVLogger(path);
  drive(*cb, model, "val_loss", {0.5, 0.25});
  EXPECT_EQ(read_text(path), "epoch,loss,val_loss\n0,1,0.5\n1,1,0.25\n");
  auto appending = lm::callbacks::CSVLogger(path, {.append = true});
  drive(*appending, model, "val_loss", {0.125});
  EXPECT_EQ(read_text(path), "epoch,loss,val_loss\n0,1,0.5\n1,1,0.25\n0,1,0.125\n");
}

TEST(LearningRateScheduler, SetsTheRateBeforeEachEpoch) {
  auto model = small_model();
  std::vector<double> seen;
  auto cb = lm::callbacks::LearningRateScheduler([&](int epoch, double lr) {
    seen.push_back(lr);
    return 0.1 / (epoch + 1);
  });
  model.fit(lm::ones({4, 2}), lm::ones({4, 1}), {.epochs = 3, .verbose = 0, .callbacks = {cb}});
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_NEAR(seen[0], 0.1, 1e-7);  // SGD(0.1); the rate is a float32 variable, as in Keras
  EXPECT_NEAR(seen[2], 0.05, 1e-7);  // set at epoch 1
  EXPECT_NEAR(model.optimizer()->learning_rate(), 0.1 / 3, 1e-7);
}

TEST(ReduceLROnPlateau, ReducesAfterPatienceThenCoolsDown) {
  auto model = small_model();
  auto cb = lm::callbacks::ReduceLROnPlateau({.factor = 0.5, .patience = 2, .cooldown = 1, .min_lr = 0.02});
  std::vector<double> lr;
  drive(*cb, model, "val_loss", {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0},
        [&](int) { lr.push_back(model.optimizer()->learning_rate()); });
  // Reduced at the end of epochs 2, 4 and 6: two epochs without improvement, then one of
  // cooldown that also counts as the first of the next wait; never below min_lr.
  std::vector<double> expected = {0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02};
  ASSERT_EQ(lr.size(), expected.size());
  for (std::size_t i = 0; i < lr.size(); ++i) EXPECT_NEAR(lr[i], expected[i], 1e-7) << i;
  EXPECT_NEAR(model.optimizer()->learning_rate(), 0.02, 1e-7);
}

TEST(LambdaCallback, CallsTheGivenFunctions) {
  auto model = small_model();
  int epochs = 0, batches = 0;
  auto cb = lm::callbacks::LambdaCallback({.on_epoch_end = [&](int, const lm::Logs&) { ++epochs; },
                                           .on_train_batch_end = [&](int, const lm::Logs&) { ++batches; }});
  model.fit(lm::ones({5, 2}), lm::ones({5, 1}), {.batch_size = 2, .epochs = 2, .verbose = 0, .callbacks = {cb}});
  EXPECT_EQ(epochs, 2);
  EXPECT_EQ(batches, 6);
}
