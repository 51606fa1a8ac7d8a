// Import -> fit one more epoch -> export: the Keras file's compile settings and optimizer
// state come along, the exported state is the state after the epoch (read with h5py), and
// training resumes from the exported file exactly as it continues in memory.
#include <fmt/format.h>

#include "keras_test_util.hpp"
#include "lamina/io/keras.hpp"

namespace lm = lamina;
using lamina::iotest::TempDir;
using lamina::kerastest::sample;

namespace {

// 8 windows of the HAR model's input shape and 6 classes, fixed by the seed.
std::pair<lm::Tensor, lm::Tensor> har_batch() {
  lm::set_seed(11);
  auto x = lm::random_uniform({8, 128, 9}, {.minval = -1, .maxval = 1});
  auto y = lm::tensor({0, 1, 2, 3, 4, 5, 0, 1});
  return {x, y};
}

lm::Json optimizer_state_from_h5py(const std::string& keras_file) {
  const char* script = R"(
import h5py, io, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
    g = f["optimizer/vars"]
    print(json.dumps({"n": len(g), "iterations": int(g["0"][()]), "learning_rate": float(g["1"][()]),
                      "slot2": g["2"][()].reshape(-1).tolist()}))
)";
  return lm::Json::parse(lamina::kerastest::run_python(script, {keras_file}));
}

}  // namespace

TEST(KerasTraining, ImportFitOneEpochExportKeepsOptimizerState) {
  auto model = lm::load_model(sample("har_stacked_lstm.keras"));
  ASSERT_TRUE(model.compiled());
  const std::int64_t before = model.optimizer()->iterations();
  ASSERT_GT(before, 0);  // the file holds the state of a trained Adam
  auto [x, y] = har_batch();
  model.fit(x, y, {.batch_size = 4, .epochs = 1, .verbose = 0});
  EXPECT_EQ(model.optimizer()->iterations(), before + 2);  // 8 samples in batches of 4

  TempDir dir;
  const std::string path = dir.file("har_more.keras");
  model.save(path);
  lm::Json state = optimizer_state_from_h5py(path);
  EXPECT_EQ(state["iterations"].get<std::int64_t>(), before + 2);
  EXPECT_FLOAT_EQ(state["learning_rate"].get<float>(), 0.00025f);  // from the file's compile_config
  EXPECT_EQ(state["n"].get<int>(), 2 + 2 * 8);                     // Adam: m and v for 8 weights (3 + 3 LSTM, 2 Dense)

  // Resuming from the file continues exactly as the model in memory does.
  auto back = lm::load_model(path);
  ASSERT_TRUE(back.compiled());
  EXPECT_EQ(back.optimizer()->iterations(), before + 2);
  auto slots_a = model.optimizer()->variables(), slots_b = back.optimizer()->variables();
  ASSERT_EQ(slots_a.size(), slots_b.size());
  for (std::size_t i = 0; i < slots_a.size(); ++i)
    EXPECT_EQ(slots_a[i].value().to_vector<double>(), slots_b[i].value().to_vector<double>()) << slots_a[i].name();
  model.train_on_batch(x, y);
  back.train_on_batch(x, y);
  auto wa = model.get_weights(), wb = back.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) EXPECT_EQ(wa[i].to_vector<float>(), wb[i].to_vector<float>()) << i;
}

// A legacy Keras 2 file brings its RMSprop settings (training_config): it trains and goes out
// as .keras with the state of the steps taken in Lamina.
TEST(KerasTraining, LegacyH5TrainsAndExportsToKeras3) {
  auto model = lm::load_model(sample("dl4j_simple_rnn_tf_keras_2_model.h5"));
  ASSERT_TRUE(model.compiled());
  EXPECT_EQ(model.optimizer()->class_name(), "RMSprop");
  EXPECT_NEAR(model.optimizer()->learning_rate(), 0.001, 1e-9);
  lm::set_seed(2);
  auto x = lm::random_uniform({25, 1, 1}, {.minval = -1, .maxval = 1});
  auto y = lm::random_uniform({25, 1}, {.minval = -1, .maxval = 1});
  auto loss_before = model.evaluate(x, y, {.verbose = 0}).at("loss");
  model.fit(x, y, {.batch_size = 25, .epochs = 1, .verbose = 0});
  EXPECT_LT(model.evaluate(x, y, {.verbose = 0}).at("loss"), loss_before);
  TempDir dir;
  model.save(dir.file("rnn.keras"));
  lm::Json state = optimizer_state_from_h5py(dir.file("rnn.keras"));
  EXPECT_EQ(state["iterations"].get<std::int64_t>(), 1);
  EXPECT_EQ(state["n"].get<int>(), 2 + 5);  // RMSprop: one velocity per weight (3 SimpleRNN + 2 Dense)
  auto back = lm::load_model(dir.file("rnn.keras"));
  EXPECT_EQ(model(x).to_vector<float>(), back(x).to_vector<float>());
}
