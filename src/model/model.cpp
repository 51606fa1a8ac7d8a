// Model and Sequential handles: construction, calling, structure and weights.
#include "lamina/model/model.hpp"

#include <fmt/format.h>

#include "lamina/core/error.hpp"

namespace lamina {

Model::Model(const Tensor& input, const Tensor& output, const std::string& name)
    : Model(TensorList{input}, TensorList{output}, name) {}

Model::Model(const TensorList& inputs, const TensorList& outputs, const std::string& name)
    : layer_(std::make_shared<ModelLayer>(inputs, outputs, name)) {}

Model::Model(const Tensor& input, const TensorList& outputs, const std::string& name)
    : Model(TensorList{input}, outputs, name) {}

Model::Model(const TensorList& inputs, const Tensor& output, const std::string& name)
    : Model(inputs, TensorList{output}, name) {}

ModelLayer& Model::layer() const {
  if (!layer_)
    throw ValueError({.problem = "this Model handle holds no model",
                      .expected = "a model built with lm::Model(inputs, outputs), lm::Sequential or lm::load_model",
                      .found = "a default-constructed lm::Model",
                      .hint = "assign a model to it first"});
  return *layer_;
}

ModelLayer* Model::operator->() const { return &layer(); }
const std::string& Model::name() const { return layer().name(); }

Tensor Model::operator()(const Tensor& x, const CallOptions& options) const { return layer()(x, options); }
TensorList Model::operator()(const TensorList& xs, const CallOptions& options) const { return layer()(xs, options); }

const TensorList& Model::inputs() const { return layer().inputs(); }
const TensorList& Model::outputs() const { return layer().outputs(); }
const std::vector<std::string>& Model::input_names() const { return layer().input_names(); }
const std::vector<std::string>& Model::output_names() const { return layer().output_names(); }
std::vector<LayerRef> Model::layers() const { return layer().layers(); }

LayerRef Model::get_layer(const std::string& name) const {
  std::vector<std::string> names;
  for (const auto& l : layer().layers()) {
    if (l->name() == name) return l;
    names.push_back("'" + l->name() + "'");
  }
  throw ValueError({.problem = fmt::format("model '{}' has no layer named '{}'", this->name(), name),
                    .expected = names.empty() ? std::string("a layer name (the model has none)")
                                              : fmt::format("one of {}", fmt::join(names, ", ")),
                    .found = "'" + name + "'",
                    .hint = "model.layers() lists them; names of nested models' layers are not searched"});
}

std::vector<Variable> Model::weights() const { return layer().weights(); }
std::vector<Variable> Model::trainable_weights() const { return layer().trainable_weights(); }
std::vector<Variable> Model::non_trainable_weights() const { return layer().non_trainable_weights(); }
std::int64_t Model::count_params() const { return layer().count_params(); }
bool Model::trainable() const { return layer().trainable(); }
void Model::set_trainable(bool trainable) const { layer().set_trainable(trainable); }

TensorList Model::get_weights() const {
  TensorList out;
  for (const auto& w : weights()) out.push_back(w.value());
  return out;
}

void Model::set_weights(const TensorList& values) const {
  auto ws = weights();
  if (values.size() != ws.size())
    throw ValueError({.problem = fmt::format("model '{}' has {} weights", name(), ws.size()),
                      .expected = fmt::format("{} tensors, in the order of model.weights()", ws.size()),
                      .found = fmt::format("{} tensors", values.size()),
                      .hint = "pass what get_weights() returns for a model of the same architecture"});
  // Check everything before assigning anything: a failure leaves the model unchanged.
  for (std::size_t i = 0; i < ws.size(); ++i) {
    const Tensor& v = values[i];
    if (!v.defined() || v.is_symbolic())
      throw ValueError({.problem = fmt::format("value {} for weight '{}' is not a concrete tensor", i, ws[i].name()),
                        .expected = fmt::format("{} {}", dtype_name(ws[i].dtype()), ws[i].shape().str()),
                        .found = v.defined() ? "a symbolic tensor" : "an undefined Tensor",
                        .hint = "pass concrete tensors, e.g. from get_weights()"});
    if (v.shape() != ws[i].shape())
      throw ShapeError({.problem = fmt::format("value {} does not fit weight '{}'", i, ws[i].name()),
                        .expected = ws[i].shape().str(),
                        .found = v.shape().str(),
                        .hint = "the values must come from a model of the same architecture, in weights() order"});
    if (v.dtype() != ws[i].dtype())
      throw DTypeError({.problem = fmt::format("value {} for weight '{}' has the wrong dtype", i, ws[i].name()),
                        .expected = std::string(dtype_name(ws[i].dtype())),
                        .found = std::string(dtype_name(v.dtype())),
                        .hint = "lm::cast the value to the weight's dtype"});
  }
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i].assign(values[i].without_mask());
}

const std::vector<double>& History::operator[](const std::string& key) const {
  auto it = history.find(key);
  if (it == history.end()) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : history) keys.push_back(k);
    throw ValueError({.problem = fmt::format("the history has no '{}'", key),
                      .expected = keys.empty() ? std::string("a metric name (nothing was recorded)")
                                               : fmt::format("one of {}", fmt::join(keys, ", ")),
                      .found = "'" + key + "'",
                      .hint = "metrics are named as in compile(); validation ones start with val_"});
  }
  return it->second;
}

Outputs::operator Tensor() const {
  if (size() != 1)
    throw ValueError({.problem = "the model has several outputs",
                      .expected = "one output to convert to a Tensor",
                      .found = fmt::format("{} outputs", size()),
                      .hint = "index the result: predict(x)[i], or keep it as lm::Outputs"});
  return front();
}

// ---- Sequential ----------------------------------------------------------------------------

Sequential::Sequential(std::initializer_list<SequentialEntry> entries, const std::string& name)
    : Sequential(std::vector<SequentialEntry>(entries), name) {}

Sequential::Sequential(const std::vector<SequentialEntry>& entries, const std::string& name)
    : Model(std::make_shared<ModelLayer>(name)) {
  for (const auto& e : entries) add(e);
}

void Sequential::add(const SequentialEntry& entry) const {
  if (entry.input().defined())
    layer().add_input(entry.input());
  else
    layer().add(entry.layer());
}

void Sequential::pop() const { layer().pop(); }

}  // namespace lamina
