// Importing the files Keras itself wrote (../shared/keras_samples): each loads, and its
// outputs match what Keras computed (the *_inputs_and_outputs.h5 files, read with h5py) or
// the independently computed references in refs/*.json, within Keras's float32 tolerance.
#include <fmt/format.h>

#include "keras_test_util.hpp"
#include "lamina/io/keras.hpp"

namespace lm = lamina;
using lamina::kerastest::expect_close;
using lamina::kerastest::sample;
using lamina::kerastest::tensor_from_json;

namespace {

// Every case of a refs/<stem>.json (the first and `more_cases`): inputs -> expected outputs.
struct RefCase {
  std::string label;
  lm::TensorList inputs, outputs;
};

std::vector<RefCase> ref_cases(const std::string& stem) {
  lm::Json j = lm::Json::parse(lm::iotest::slurp(sample("refs/" + stem + ".json")));
  auto one = [](const lm::Json& c, const std::string& label) {
    RefCase rc{.label = label};
    for (const auto& in : c.at("inputs"))
      rc.inputs.push_back(tensor_from_json(in, in.at("dtype") == "int32" ? lm::Int32 : lm::Float32));
    for (const auto& out : c.at("outputs")) rc.outputs.push_back(tensor_from_json(out, lm::Float64));
    return rc;
  };
  std::vector<RefCase> cases{one(j, j.value("case_label", "main"))};
  if (j.contains("more_cases"))
    for (const auto& c : j["more_cases"]) cases.push_back(one(c, c.value("label", "more")));
  return cases;
}

void expect_matches_refs(const lm::Model& model, const std::string& stem) {
  for (const auto& c : ref_cases(stem)) {
    lm::TensorList out = model(c.inputs);
    ASSERT_EQ(out.size(), c.outputs.size()) << c.label;
    for (std::size_t i = 0; i < out.size(); ++i)
      expect_close(lm::cast(out[i], lm::Float64), c.outputs[i], 1e-5, 1e-6, stem + " / " + c.label);
  }
}

// A dl4j *_inputs_and_outputs.h5: inputs/<name> -> predictions/<name>, as Keras's predict gave them.
void expect_matches_keras_predictions(const lm::Model& model, const std::string& io_file) {
  lm::Json data = lamina::kerastest::h5py_datasets(sample(io_file));
  lm::TensorList inputs;
  for (const auto& name : model.input_names()) {
    ASSERT_TRUE(data.contains("inputs/" + name)) << name;
    inputs.push_back(tensor_from_json(data["inputs/" + name]));
  }
  lm::TensorList out = model(inputs);
  ASSERT_EQ(out.size(), model.output_names().size());
  int compared = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::string key = "predictions/" + model.output_names()[i];
    ASSERT_TRUE(data.contains(key)) << key;
    expect_close(lm::cast(out[i], lm::Float64), tensor_from_json(data[key], lm::Float64), 1e-5, 1e-6, key);
    ++compared;
  }
  EXPECT_GT(compared, 0);
}

}  // namespace

TEST(KerasImport, LegacyH5LstmMatchesKerasPredictions) {
  // Keras 2.1.3: LSTM(50, recurrent_activation = Keras 2's hard_sigmoid) -> Dense(1).
  auto model = lm::load_model(sample("dl4j_simple_flatten_lstm_tf_keras_2_model.h5"));
  expect_matches_keras_predictions(model, "dl4j_simple_flatten_lstm_tf_keras_2_inputs_and_outputs.h5");
}

TEST(KerasImport, LegacyH5SimpleRnnMatchesKerasPredictions) {
  auto model = lm::load_model(sample("dl4j_simple_rnn_tf_keras_2_model.h5"));
  expect_matches_keras_predictions(model, "dl4j_simple_rnn_tf_keras_2_inputs_and_outputs.h5");
}

TEST(KerasImport, LegacyH5Conv1DMatchesKerasPredictions) {
  // Keras 2.3.1: Conv1D(4, kernel 3, padding same, sigmoid) on (2, 16, 3).
  auto model = lm::load_model(sample("dl4j_conv1d_k3_s1_d1_cl_same_model.h5"));
  expect_matches_keras_predictions(model, "dl4j_conv1d_k3_s1_d1_cl_same_inputs_and_outputs.h5");
}

TEST(KerasImport, LegacyH5MaskingLstmMatchesReferences) {
  auto model = lm::load_model(sample("dl4j_masking_zero_lstm.h5"));
  expect_matches_refs(model, "dl4j_masking_zero_lstm");
}

TEST(KerasImport, LegacyH5EmbeddingLstmMatchesReferences) {
  auto model = lm::load_model(sample("dl4j_embedding_lstm_tensorflow_2.h5"));
  expect_matches_refs(model, "dl4j_embedding_lstm_tensorflow_2");
}

TEST(KerasImport, LegacyH5BidirectionalLstmMatchesReferences) {
  auto model = lm::load_model(sample("dl4j_bidirectional_lstm_tensorflow_2.h5"));
  expect_matches_refs(model, "dl4j_bidirectional_lstm_tensorflow_2");
}

TEST(KerasImport, TfKerasVariableLengthRnnMatchesReferences) {
  auto model = lm::load_model(sample("dl4j_tfkeras_rnn_144.h5"));
  expect_matches_refs(model, "dl4j_tfkeras_rnn_144");
}

TEST(KerasImport, Keras3StackedLstmMatchesReferences) {
  lm::io::KerasNotes notes;
  auto model = lm::io::load_keras(sample("har_stacked_lstm.keras"), &notes);
  expect_matches_refs(model, "har_stacked_lstm");
}

// Each legacy file's weights, layer by layer in the file's weight_names order (as h5py reads
// them), are exactly the imported layer's weights, in order.
TEST(KerasImport, LegacyH5WeightsAreWhatH5pyReads) {
  const char* script = R"(
import h5py, json, sys
out = []
with h5py.File(sys.argv[1], "r") as f:
    g = f["model_weights"]
    for layer in [n.decode() for n in g.attrs["layer_names"]]:
        names = [n.decode() for n in g[layer].attrs["weight_names"]]
        out.append({"layer": layer, "weights": [{"name": n, "shape": list(g[layer][n].shape),
                    "values": g[layer][n][()].reshape(-1).tolist()} for n in names]})
print(json.dumps(out))
)";
  for (const char* file :
       {"dl4j_simple_flatten_lstm_tf_keras_2_model.h5", "dl4j_simple_rnn_tf_keras_2_model.h5",
        "dl4j_masking_zero_lstm.h5", "dl4j_embedding_lstm_tensorflow_2.h5", "dl4j_bidirectional_lstm_tensorflow_2.h5",
        "dl4j_tfkeras_rnn_144.h5", "dl4j_conv1d_k3_s1_d1_cl_same_model.h5"}) {
    SCOPED_TRACE(file);
    auto model = lm::load_model(sample(file));
    lm::Json layers = lm::Json::parse(lamina::kerastest::run_python(script, {sample(file)}));
    std::size_t total = 0;
    for (const auto& entry : layers) {
      const auto& expected = entry["weights"];
      if (expected.empty()) continue;
      auto weights = model.get_layer(entry["layer"].get<std::string>())->weights();
      ASSERT_EQ(weights.size(), expected.size()) << entry["layer"];
      for (std::size_t i = 0; i < weights.size(); ++i) {
        auto want = tensor_from_json(expected[i], lm::Float32);
        ASSERT_EQ(weights[i].value().shape(), want.shape()) << expected[i]["name"];
        EXPECT_EQ(weights[i].value().to_vector<float>(), want.to_vector<float>()) << expected[i]["name"];
        ++total;
      }
    }
    EXPECT_EQ(total, model.weights().size());
  }
}

// The Keras 3 file: layers/<snake-cased class>[_n]/cell/vars/<i> hold the layers' weights in
// config order, and optimizer/vars holds Adam's iterations, learning rate, then m and v slots.
TEST(KerasImport, Keras3WeightsAndOptimizerStateAreWhatH5pyReads) {
  const std::string file = sample("har_stacked_lstm.keras");
  lamina::iotest::TempDir dir;
  const char* unzip = R"(
import zipfile, sys
zipfile.ZipFile(sys.argv[1]).extract("model.weights.h5", sys.argv[2])
)";
  lamina::kerastest::run_python(unzip, {file, dir.path()});
  lm::Json data = lamina::kerastest::h5py_datasets(dir.file("model.weights.h5"));
  auto model = lm::load_model(file);
  const std::vector<std::pair<std::string, std::string>> paths = {
      {"layers/lstm/cell/vars", "lstm_1"}, {"layers/lstm_1/cell/vars", "lstm_2"}, {"layers/dense/vars", "output"}};
  std::vector<lm::Variable> order;
  for (const auto& [path, layer] : paths) {
    auto weights = model.get_layer(layer)->weights();
    ASSERT_EQ(weights.size(), layer == "output" ? 2u : 3u) << layer;  // kernel, (recurrent kernel), bias
    for (std::size_t i = 0; i < weights.size(); ++i) {
      auto want = tensor_from_json(data.at(fmt::format("{}/{}", path, i)));
      EXPECT_EQ(weights[i].value().to_vector<float>(), want.to_vector<float>()) << path << i;
      order.push_back(weights[i]);
    }
  }
  ASSERT_TRUE(model.compiled());
  auto opt = model.optimizer();
  ASSERT_TRUE(opt->built());
  // optimizer/vars/0 is the iteration count, 1 the learning rate, then (m, v) per weight.
  EXPECT_EQ(opt->iterations(), data.at("optimizer/vars/0")["values"][0].get<std::int64_t>());
  EXPECT_GT(opt->iterations(), 0);
  EXPECT_FLOAT_EQ(static_cast<float>(opt->learning_rate()), data.at("optimizer/vars/1")["values"][0].get<float>());
  const auto slots = opt->variables();
  std::size_t stored = 0;
  while (data.contains(fmt::format("optimizer/vars/{}", stored))) ++stored;
  EXPECT_EQ(stored, 2 + 2 * order.size());
  // Every stored slot value appears among the optimizer's variables with the right shape.
  for (std::size_t i = 2; i < stored; ++i) {
    auto want = tensor_from_json(data.at(fmt::format("optimizer/vars/{}", i))).to_vector<float>();
    bool found = false;
    for (const auto& v : slots) found = found || v.value().to_vector<float>() == want;
    EXPECT_TRUE(found) << "optimizer/vars/" << i;
    // Keras 3's Adam builds (momentum, velocity) per variable, in the layers' order.
    EXPECT_EQ(data.at(fmt::format("optimizer/vars/{}", i))["shape"].get<std::vector<std::int64_t>>(),
              order[(i - 2) / 2].value().shape().dims())
        << i;
  }
}

// `lamina summary` on a Keras file prints the imported model's table.
TEST(KerasImport, SummaryOfEveryImportedFile) {
  for (const char* file :
       {"dl4j_simple_flatten_lstm_tf_keras_2_model.h5", "dl4j_simple_rnn_tf_keras_2_model.h5",
        "dl4j_masking_zero_lstm.h5", "dl4j_embedding_lstm_tensorflow_2.h5", "dl4j_bidirectional_lstm_tensorflow_2.h5",
        "dl4j_tfkeras_rnn_144.h5", "dl4j_conv1d_k3_s1_d1_cl_same_model.h5", "har_stacked_lstm.keras"}) {
    SCOPED_TRACE(file);
    auto model = lm::load_model(sample(file));
    std::string s = model.summary_string();
    EXPECT_NE(s.find("Total params: "), std::string::npos) << s;
  }
  auto har = lm::load_model(sample("har_stacked_lstm.keras")).summary_string();
  EXPECT_NE(har.find("lstm_1 (LSTM)"), std::string::npos) << har;
  EXPECT_NE(har.find("(None, 128, 32)"), std::string::npos) << har;
  EXPECT_NE(har.find("output (Dense)"), std::string::npos) << har;
  // 4 gates x 32 units x (9 inputs + 32 recurrent + 1 bias), 4 x 32 x (32 + 32 + 1), 6 x (32 + 1).
  EXPECT_NE(har.find("Trainable params: 13,894"), std::string::npos) << har;
}
