// ModelLayer: the layer behind Model and Sequential -- graph, inputs, layers, running.
#include <fmt/format.h>

#include <set>
#include <unordered_set>

#include "lamina/core/error.hpp"
#include "lamina/model/model.hpp"
#include "lamina/ops/cast.hpp"

namespace lamina {

namespace {

LayerRef layer_of(const model::Step& step) {
  return LayerRef(std::static_pointer_cast<Layer>(std::const_pointer_cast<void>(step.node->owner)));
}

std::string unique_among(const std::string& base, std::set<std::string>& taken) {
  std::string name = base;
  for (int i = 1; taken.count(name); ++i) name = fmt::format("{}_{}", base, i);
  taken.insert(name);
  return name;
}

// Keras converts inputs to the Input's dtype; Lamina does the conversions that lose nothing
// a model cares about (integers and float64 to float32, Bool to numbers) and refuses
// floats where integers (token ids) are expected.
bool convertible(DType from, DType to) {
  if (from == to) return true;
  if (is_floating(to)) return true;
  if (is_integer(to)) return is_integer(from) || from == Bool;
  return false;
}

}  // namespace

ModelLayer::ModelLayer(const TensorList& inputs, const TensorList& outputs, std::string name)
    : Layer("Functional", name.empty() ? unique_layer_name("functional") : std::move(name)) {
  LayerScope scope(this->name(), type());
  if (inputs.empty())
    throw ValueError({.problem = "a model needs at least one input",
                      .expected = "lm::Input tensors",
                      .found = "no inputs",
                      .hint = "lm::Model(lm::Input({10}), outputs), or use lm::Sequential"});
  if (outputs.empty())
    throw ValueError({.problem = "a model needs at least one output",
                      .expected = "tensors computed from the inputs",
                      .found = "no outputs",
                      .hint = "pass the tensors the model should return"});
  set_graph(inputs, outputs);
}

ModelLayer::ModelLayer(std::string name)
    : Layer("Sequential", name.empty() ? unique_layer_name("sequential") : std::move(name)), sequential_(true) {}

ModelLayer::~ModelLayer() = default;

const model::Graph& ModelLayer::graph() const {
  if (!graph_)
    throw ValueError({.problem = fmt::format("model '{}' is not built yet", name()),
                      .expected = "a model whose input shape is known",
                      .found = "a Sequential model without an lm::Input and never called",
                      .hint = "start the Sequential with lm::Input(shape), or call it (or fit it) on data first"});
  return *graph_;
}

const TensorList& ModelLayer::inputs() const {
  graph();
  return inputs_;
}

const TensorList& ModelLayer::outputs() const {
  graph();
  return outputs_;
}

void ModelLayer::set_graph(const TensorList& inputs, const TensorList& outputs) {
  auto graph = std::make_unique<model::Graph>(inputs, outputs);
  std::vector<LayerRef> layers;
  std::unordered_set<const Layer*> seen;
  std::map<std::string, const Layer*> by_name;
  for (const auto& step : graph->steps()) {
    if (!step.is_layer()) continue;
    LayerRef layer = layer_of(step);
    if (!seen.insert(layer.ptr().get()).second) continue;  // a shared layer, called again
    auto [it, fresh] = by_name.emplace(layer->name(), layer.ptr().get());
    if (!fresh)
      throw ValueError({.problem = fmt::format("two different layers are both named '{}'", layer->name()),
                        .expected = "unique layer names in a model (weights are saved and loaded by name)",
                        .found = fmt::format("'{}' ({}) and another '{}' ({})", layer->name(), layer->type(),
                                             it->first, it->second->type()),
                        .hint = "give one of them another name, or leave names empty to get unique ones"});
    layers.push_back(layer);
  }
  if (!sequential_) {
    // A Sequential keeps the list it was given (layers_ is already that list).
    layers_ = layers;
  }
  untrack_layers();
  for (const auto& l : layers_) track_layer(l.ptr());
  inputs_ = inputs;
  outputs_ = outputs;
  input_names_.clear();
  output_names_.clear();
  for (const auto& t : inputs) input_names_.push_back(t.node()->name);
  std::set<std::string> taken;
  for (const auto& t : outputs) {
    const auto& node = *t.node();
    std::string base = node.op == "layer" || node.op == "input" ? node.name : node.op;
    output_names_.push_back(unique_among(base, taken));
  }
  graph_ = std::move(graph);
}

// ---- Sequential ----------------------------------------------------------------------------

void ModelLayer::add_input(const Tensor& input) {
  LayerScope scope(name(), type());
  if (!sequential_)
    throw ValueError({.problem = "add() is only for Sequential models",
                      .expected = "an lm::Sequential",
                      .found = "a functional model",
                      .hint = "build functional models from Input tensors and layer calls"});
  if (!layers_.empty() || graph_)
    throw ValueError({.problem = "an lm::Input can only be the first entry of a Sequential",
                      .expected = "lm::Input first, then layers",
                      .found = fmt::format("{} layer(s) before it", layers_.size()),
                      .hint = "put the lm::Input at the start of the list"});
  if (!input.defined() || !input.is_symbolic() || !input.node() || input.node()->op != "input")
    throw ValueError({.problem = "a Sequential entry that is a tensor must be an lm::Input",
                      .expected = "lm::Input(shape, dtype)",
                      .found = input.defined() ? input.spec().str() : "an undefined Tensor",
                      .hint = "use lm::Input({features}) to give the input shape"});
  set_graph({input}, {input});
}

void ModelLayer::add(LayerRef layer) {
  LayerScope scope(name(), type());
  if (!sequential_)
    throw ValueError({.problem = "add() is only for Sequential models",
                      .expected = "an lm::Sequential",
                      .found = "a functional model",
                      .hint = "build functional models from Input tensors and layer calls"});
  if (!layer.ptr())
    throw ValueError({.problem = "cannot add an empty layer handle",
                      .expected = "a layer, e.g. Dense(4)",
                      .found = "an empty LayerRef",
                      .hint = "create the layer before adding it"});
  for (const auto& l : layers_)
    if (l->name() == layer->name())
      throw ValueError({.problem = fmt::format("the model already has a layer named '{}'", layer->name()),
                        .expected = "unique layer names",
                        .found = fmt::format("'{}' ({}) added twice or a name reused", layer->name(), layer->type()),
                        .hint = "create a new layer object; a layer can appear once in a Sequential"});
  if (graph_) {
    // Already built: extend the graph with the new layer (errors leave the model unchanged).
    Tensor out = layer(TensorList{outputs_.at(0)}).at(0);
    layers_.push_back(layer);
    set_graph(inputs_, {out});
  } else {
    layers_.push_back(layer);
  }
}

void ModelLayer::pop() {
  if (layers_.empty())
    throw ValueError({.problem = "pop() on a Sequential model with no layers",
                      .expected = "at least one layer",
                      .found = "none",
                      .hint = "add layers first"});
  layers_.pop_back();
  if (graph_) {
    Tensor x = inputs_.at(0);
    for (const auto& l : layers_) x = l(TensorList{x}).at(0);
    set_graph(inputs_, {x});
  }
}

void ModelLayer::build_sequential(const TensorSpec& input) {
  std::vector<std::int64_t> dims(input.shape.begin(), input.shape.end());
  if (!dims.empty()) dims[0] = None;  // the batch dimension
  std::vector<std::int64_t> feature_dims(dims.begin() + (dims.empty() ? 0 : 1), dims.end());
  Tensor in = lamina::Input(Shape(feature_dims), input.dtype);
  Tensor x = in;
  for (const auto& l : layers_) x = l(TensorList{x}).at(0);
  set_graph({in}, {x});
}

void ModelLayer::on_build(const std::vector<TensorSpec>& input_specs) {
  if (graph_) return;
  if (!sequential_) return;
  if (input_specs.size() != 1)
    throw ValueError({.problem = "a Sequential model takes one input",
                      .expected = "one tensor",
                      .found = fmt::format("{} inputs", input_specs.size()),
                      .hint = "use a functional lm::Model for several inputs"});
  if (layers_.empty())
    throw ValueError({.problem = "a Sequential model with no layers cannot be called",
                      .expected = "at least one layer",
                      .found = "none",
                      .hint = "add layers first: model.add(Dense(4))"});
  build_sequential(input_specs[0]);
}

// ---- running ------------------------------------------------------------------------------

TensorList ModelLayer::standardize_inputs(const TensorList& given) const {
  const auto& specs = graph().input_specs();
  if (given.size() != specs.size())
    throw ValueError({.problem = fmt::format("model '{}' takes {} input{}", name(), specs.size(),
                                             specs.size() == 1 ? "" : "s"),
                      .expected = fmt::format("{} tensor(s): {}", specs.size(), fmt::join(input_names_, ", ")),
                      .found = fmt::format("{} tensor(s)", given.size()),
                      .hint = "pass one tensor per model input, in order, or by name"});
  TensorList out;
  out.reserve(given.size());
  for (std::size_t i = 0; i < given.size(); ++i) {
    const Tensor& x = given[i];
    const TensorSpec& spec = specs[i];
    if (!x.defined())
      throw ValueError({.problem = fmt::format("input '{}' is an undefined Tensor", input_names_[i]),
                        .expected = spec.str(),
                        .found = "an undefined Tensor",
                        .hint = "pass a tensor for every model input"});
    bool shape_ok = x.rank() == spec.shape.rank();
    for (std::int64_t d = 0; shape_ok && d < spec.shape.rank(); ++d)
      shape_ok = spec.shape[d] < 0 || x.dim(d) < 0 || spec.shape[d] == x.dim(d);
    if (!shape_ok)
      throw ShapeError(
          {.problem = fmt::format("input '{}' does not have the shape the model was built for", input_names_[i]),
           .expected = spec.shape.str() + " (None: any size)",
           .found = x.shape().str(),
           .hint = is_sequential() && !graph_->steps().empty()
                       ? "a Sequential built from data keeps the first batch's shape; start it with "
                         "lm::Input({None, ...}) to accept other sizes"
                       : "reshape the data, or build the model with lm::Input dims set to lm::None"});
    if (!convertible(x.dtype(), spec.dtype))
      throw DTypeError({.problem = fmt::format("input '{}' has the wrong dtype", input_names_[i]),
                        .expected = std::string(dtype_name(spec.dtype)),
                        .found = std::string(dtype_name(x.dtype())),
                        .hint = is_integer(spec.dtype) ? "this input takes integer ids: lm::cast(x, lm::Int32) "
                                                         "if the values are whole numbers"
                                                       : "lm::cast(x, the model's dtype)"});
    out.push_back(x.dtype() == spec.dtype ? x : cast(x, spec.dtype));
  }
  return out;
}

TensorList ModelLayer::run(const TensorList& inputs, bool training, const model::StepObserver& observe) {
  TensorList xs = standardize_inputs(inputs);
  LearningPhase phase(training);
  return graph().run(xs, observe);
}

TensorList ModelLayer::call(const TensorList& inputs, const TensorList& masks, bool training) {
  return run(inputs, training);
}

}  // namespace lamina
