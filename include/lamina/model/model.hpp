#pragma once
// Model: a graph of layers and ops from Input tensors to outputs, trainable with
// compile / fit / evaluate / predict, and savable (DESIGN.md section 1).
//
//   auto tokens = lm::Input({lm::None}, lm::Int32, "tokens");
//   auto x = Embedding(20000, 128, {.mask_zero = true})(tokens);
//   auto probs = Dense(6, {.activation = "softmax"})(LSTM(64)(x));
//   lm::Model model(tokens, probs);
//   model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
//   model.fit(x_train, y_train, {.batch_size = 64, .epochs = 5, .validation_split = 0.1});
//
// A Model is a handle, like a Python reference: copies share the graph, the weights and
// the training state. It is a layer too: `model(x)` on concrete or symbolic tensors, and it
// nests inside other models (its output masks are visible symbolically).
// Sequential is a Model built from a list of single-input layers.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lamina/layers/layer.hpp"
#include "lamina/model/graph.hpp"
#include "lamina/train/compile_options.hpp"
#include "lamina/train/fit_options.hpp"

namespace lamina {

namespace train {
struct TrainState;  // compiled loss/metrics/optimizer (src/train/)
}

// The layer behind a Model handle.
class ModelLayer : public Layer {
 public:
  // A functional model (type "Functional").
  ModelLayer(const TensorList& inputs, const TensorList& outputs, std::string name);
  // An empty Sequential model (type "Sequential"); the graph is built once the input is known.
  explicit ModelLayer(std::string name);
  ~ModelLayer() override;

  bool is_sequential() const { return sequential_; }
  bool graph_built() const { return graph_ != nullptr; }
  const model::Graph& graph() const;
  const TensorList& inputs() const;   // the symbolic model inputs
  const TensorList& outputs() const;  // the symbolic model outputs
  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }
  // Layers in graph order, each once (Sequential: in the order added).
  const std::vector<LayerRef>& layers() const { return layers_; }

  // Sequential only: a layer, or (first) the lm::Input tensor giving the input spec.
  void add(LayerRef layer);
  void add_input(const Tensor& input);
  void pop();

  // Runs the graph, checking and converting inputs as Keras does (int -> float, float64 ->
  // float32; never float -> int). `observe` sees every step's outputs.
  TensorList run(const TensorList& inputs, bool training, const model::StepObserver& observe = {});
  // The given inputs checked against the model's input specs (rank, known dims, dtype).
  TensorList standardize_inputs(const TensorList& inputs) const;

  TensorList call(const TensorList& inputs, const TensorList& masks, bool training) override;
  void on_build(const std::vector<TensorSpec>& input_specs) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;

  // Named JSON documents saved with the model (e.g. a text vectorizer's vocabulary), so that a
  // loaded model has everything it needs to run on raw inputs.
  std::map<std::string, Json>& assets() { return assets_; }
  const std::map<std::string, Json>& assets() const { return assets_; }

  train::TrainState* train_state() const { return train_.get(); }
  void set_train_state(std::shared_ptr<train::TrainState> state) { train_ = std::move(state); }

 private:
  void set_graph(const TensorList& inputs, const TensorList& outputs);
  void build_sequential(const TensorSpec& input);

  bool sequential_ = false;
  std::unique_ptr<model::Graph> graph_;
  TensorList inputs_, outputs_;
  std::vector<std::string> input_names_, output_names_;
  std::vector<LayerRef> layers_;
  std::map<std::string, Json> assets_;
  std::shared_ptr<train::TrainState> train_;
};

struct SummaryOptions {
  int line_length = 0;          // 0: Keras's default (88, or 108 with a "Connected to" column; + Mask column)
  bool expand_nested = false;   // also list the layers of nested models
  bool show_trainable = false;  // a "Trainable" column
};

class Model {
 public:
  Model() = default;
  Model(const Tensor& input, const Tensor& output, const std::string& name = "");
  Model(const TensorList& inputs, const TensorList& outputs, const std::string& name = "");
  Model(const Tensor& input, const TensorList& outputs, const std::string& name = "");
  Model(const TensorList& inputs, const Tensor& output, const std::string& name = "");
  explicit Model(std::shared_ptr<ModelLayer> layer) : layer_(std::move(layer)) {}

  bool defined() const { return layer_ != nullptr; }
  const std::string& name() const;

  // ---- as a layer ----
  Tensor operator()(const Tensor& x, const CallOptions& options = {}) const;
  TensorList operator()(const TensorList& xs, const CallOptions& options = {}) const;
  operator LayerRef() const { return LayerRef(layer_); }
  ModelLayer* operator->() const;
  const std::shared_ptr<ModelLayer>& ptr() const { return layer_; }

  // ---- structure ----
  const TensorList& inputs() const;
  const TensorList& outputs() const;
  const std::vector<std::string>& input_names() const;
  const std::vector<std::string>& output_names() const;
  std::vector<LayerRef> layers() const;
  // ValueError listing the layer names when there is none of that name.
  LayerRef get_layer(const std::string& name) const;
  std::vector<Variable> weights() const;
  std::vector<Variable> trainable_weights() const;
  std::vector<Variable> non_trainable_weights() const;
  std::int64_t count_params() const;
  // Weight values in weights() order; set_weights checks count, shapes and dtypes (naming the weight).
  TensorList get_weights() const;
  void set_weights(const TensorList& values) const;
  bool trainable() const;
  void set_trainable(bool trainable) const;

  // The Keras 3 summary table with a Mask column.
  std::string summary_string(const SummaryOptions& options = {}) const;
  void summary(const SummaryOptions& options = {}) const;  // prints to stdout

  // ---- training (src/train/) ----
  void compile(const CompileOptions& options = {}) const;
  bool compiled() const;
  // The compile settings as JSON (saved with the model), and compile() from that JSON.
  Json get_compile_config() const;
  void compile_from_config(const Json& config) const;
  optimizers::OptimizerRef optimizer() const;
  // Callbacks set this to end fit after the current batch.
  bool& stop_training() const;
  // BackupAndRestore: the fit now starting resumes at `epoch` (its state was just restored).
  void resume_at_epoch(int epoch) const;

  History fit(const Data& x, const Data& y, const FitOptions& options = {}) const;
  History fit(BatchSource& data, const FitOptions& options = {}) const;
  // {"loss": ..., metric: ...}
  Logs evaluate(const Data& x, const Data& y, const EvaluateOptions& options = {}) const;
  Logs evaluate(BatchSource& data, const EvaluateOptions& options = {}) const;
  Outputs predict(const Data& x, const PredictOptions& options = {}) const;
  Outputs predict(BatchSource& data, const PredictOptions& options = {}) const;
  // One step on one batch (no shuffling, no callbacks); the logs after the step.
  Logs train_on_batch(const Data& x, const Data& y, const Tensor& sample_weight = {},
                      const std::map<std::int64_t, double>& class_weight = {}) const;
  Logs test_on_batch(const Data& x, const Data& y, const Tensor& sample_weight = {}) const;
  Outputs predict_on_batch(const Data& x) const;

  // ---- saving (src/io/) ----
  // One file: architecture, weights, compile settings and optimizer state (training resumes exactly).
  void save(const std::string& path) const;
  void save_weights(const std::string& path) const;
  // By layer and weight name; a missing, extra or mismatched weight is an error naming it.
  void load_weights(const std::string& path) const;

 protected:
  ModelLayer& layer() const;
  std::shared_ptr<ModelLayer> layer_;
};

// An element of Sequential's list: a layer (or model), or an lm::Input giving the input shape.
class SequentialEntry {
 public:
  template <class L>
  SequentialEntry(const LayerHandle<L>& layer) : layer_(LayerRef(layer)) {}
  SequentialEntry(const Model& model) : layer_(LayerRef(model)) {}
  SequentialEntry(const Tensor& input) : input_(input) {}
  const LayerRef& layer() const { return layer_; }
  const Tensor& input() const { return input_; }

 private:
  LayerRef layer_;
  Tensor input_;
};

class Sequential : public Model {
 public:
  Sequential(std::initializer_list<SequentialEntry> entries = {}, const std::string& name = "");
  explicit Sequential(const std::vector<SequentialEntry>& entries, const std::string& name = "");
  // A layer, or an lm::Input (first only) fixing the input shape.
  void add(const SequentialEntry& entry) const;
  void pop() const;
};

// A model rebuilt from ModelLayer::get_config() (fresh weights); ValueError for a bad config.
Model model_from_config(const Json& config);
// A model saved with Model::save (src/io/).
Model load_model(const std::string& path);

}  // namespace lamina
