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
