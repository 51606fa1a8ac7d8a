// The Layer call protocol: context, masks, building, concrete and symbolic calls.
#include "lamina/layers/layer.hpp"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <mutex>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/core/storage.hpp"

namespace lamina {

// ---- names ------------------------------------------------------------------------------

namespace {
std::mutex& names_mutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, int>& name_counts() {
  static std::map<std::string, int> counts;
  return counts;
}
thread_local bool g_learning_phase = false;
}  // namespace

std::string snake_case(const std::string& type) {
  // Keras's rule: "GlobalAveragePooling1D" -> "global_average_pooling1d", "SimpleRNN" -> "simple_rnn".
  std::string out;
  for (std::size_t i = 0; i < type.size(); ++i) {
    char c = type[i];
    bool upper = std::isupper(static_cast<unsigned char>(c));
    if (upper && i > 0) {
      bool prev_lower = std::islower(static_cast<unsigned char>(type[i - 1]));
      bool next_lower = i + 1 < type.size() && std::islower(static_cast<unsigned char>(type[i + 1]));
      if (prev_lower || next_lower) out += '_';
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string unique_layer_name(const std::string& base) {
  std::lock_guard lock(names_mutex());
  int n = name_counts()[base]++;
  return n == 0 ? base : fmt::format("{}_{}", base, n);
}

void clear_session() {
  std::lock_guard lock(names_mutex());
  name_counts().clear();
}

bool learning_phase() { return g_learning_phase; }
LearningPhase::LearningPhase(bool training) : saved_(g_learning_phase) { g_learning_phase = training; }
LearningPhase::~LearningPhase() { g_learning_phase = saved_; }

Tensor Input(const Shape& shape, DType dtype, const std::string& name) {
  for (auto d : shape)
    if (d < 0 && d != None)
      throw ShapeError({.op = "Input",
                        .problem = "an input dimension must be known and >= 0, or None",
                        .expected = "a shape like (10, 100) or (None, 8), without the batch dimension",
                        .found = shape.str(),
                        .hint = "use lm::None for a dimension known only at run time (e.g. the sequence length)"});
  std::vector<std::int64_t> dims{None};
  dims.insert(dims.end(), shape.begin(), shape.end());
  auto node = std::make_shared<SymbolicNode>();
  node->op = "input";
  node->name = name.empty() ? unique_layer_name("input_layer") : name;  // Keras 3's default
  node->output_specs = {TensorSpec{Shape(dims), dtype, -1}};
  return symbolic_outputs(node, node->output_specs)[0];
}

// ---- Layer ------------------------------------------------------------------------------

Layer::Layer(std::string type, std::string name)
    : type_(std::move(type)),
      name_(name.empty() ? unique_layer_name(snake_case(type_)) : std::move(name)),
      generator_(global_generator().next_u64()) {}

void Layer::set_trainable(bool trainable) {
  trainable_ = trainable;
  for (auto& w : weights_) w.set_trainable(trainable);
  for (auto& l : sublayers_) l->set_trainable(trainable);
}

std::vector<Variable> Layer::weights() const {
  std::vector<Variable> all = weights_;
  for (const auto& l : sublayers_) {
    auto sub = l->weights();
    all.insert(all.end(), sub.begin(), sub.end());
  }
  return all;
}

std::vector<Variable> Layer::trainable_weights() const {
  std::vector<Variable> out;
  for (const auto& w : weights())
    if (w.trainable()) out.push_back(w);
  return out;
}

std::vector<Variable> Layer::non_trainable_weights() const {
  std::vector<Variable> out;
  for (const auto& w : weights())
    if (!w.trainable()) out.push_back(w);
  return out;
}

std::int64_t Layer::count_params() const {
  std::int64_t n = 0;
  for (const auto& w : weights()) n += w.shape().numel();
  return n;
}

Variable Layer::add_weight(const std::string& name, const Shape& shape, const Initializer& init, bool trainable,
                           DType dtype) {
  for (auto d : shape)
    if (d < 0)
      throw ShapeError({.problem = fmt::format("weight '{}' needs a known shape", name),
                        .expected = "known dimensions (the layer's input feature sizes must be known)",
                        .found = shape.str(),
                        .hint = "give Input() a shape whose non-batch dimensions are known"});
  // Sizes come from options (units, input_dim, num_heads...): a typo must not overflow the
  // element count or reach the allocator with a request no machine can satisfy.
  check_allocation(fmt::format("weight '{}'", name), shape, dtype,
                   "check the layer's sizes (units, input_dim, output_dim, num_heads, key_dim)");
  Variable v(name_ + "/" + name, init(shape, dtype, generator_), trainable && trainable_);
  weights_.push_back(v);
  return v;
}

void Layer::check_allocation(const std::string& what, const Shape& shape, DType dtype, const std::string& hint) const {
  std::int64_t bytes = static_cast<std::int64_t>(itemsize(dtype));
  bool overflow = false;
  for (auto d : shape) overflow = overflow || __builtin_mul_overflow(bytes, d, &bytes);
  const auto memory = static_cast<std::int64_t>(memory_limit_bytes());
  if (overflow || (memory > 0 && bytes > memory))
    throw ValueError({.problem = fmt::format("{} is too large to allocate", what),
                      .expected = fmt::format("at most this machine's memory (RAM + swap), {} bytes", memory),
                      .found = overflow ? fmt::format("shape {}, more than 2^63 bytes", shape.str())
                                        : fmt::format("shape {}, {} bytes", shape.str(), bytes),
                      .hint = hint});
}

void Layer::track_layer(std::shared_ptr<Layer> layer) { sublayers_.push_back(std::move(layer)); }

void Layer::check_input_count(const TensorList& inputs, std::size_t expected) const {
  if (inputs.size() != expected)
    throw ValueError({.problem = fmt::format("{} takes {} input{}", type_, expected, expected == 1 ? "" : "s"),
                      .expected = std::to_string(expected),
                      .found = fmt::format("{} inputs", inputs.size()),
                      .hint = expected == 1 ? "call it on one tensor" : "pass the inputs as a TensorList"});
}

Tensor Layer::call(const Tensor&, const Tensor&, bool) {
  throw ValueError(
      {.problem = fmt::format("{} does not implement call()", type_),
       .expected = "a subclass that overrides call(input, mask, training) or call(inputs, masks, training)",
       .found = "the base Layer::call",
       .hint = "override Tensor call(const Tensor& x, const Tensor& mask, bool training) in your layer"});
}

TensorList Layer::call(const TensorList& inputs, const TensorList& masks, bool training) {
  check_input_count(inputs, 1);
  return {call(inputs[0], masks[0], training)};
}

Json Layer::get_config() const { return Json{{"type", type_}, {"name", name_}, {"trainable", trainable_}}; }

void Layer::build(const std::vector<TensorSpec>& input_specs) {
  if (built_) return;
  LayerScope scope(name_, type_);  // errors name the layer, also when build() is called directly
  on_build(input_specs);
  built_ = true;
}

void Layer::ensure_built(const TensorList& inputs) {
  if (built_) return;
  std::vector<TensorSpec> specs;
  for (const auto& x : inputs) specs.push_back(x.spec());
  on_build(specs);  // operator() has pushed the layer's scope already
  built_ = true;
}

namespace {
// Applies compute_mask's answer (if any) to the outputs.
TensorList apply_masks(TensorList outs, const std::optional<TensorList>& masks, const std::string& type) {
  for (std::size_t i = 0; i < outs.size(); ++i) {
    if (!outs[i].defined())
      throw ValueError({.problem = fmt::format("call() returned an undefined tensor as output {}", i),
                        .expected = "a tensor for every output",
                        .found = "an undefined Tensor (like Python's None)",
                        .hint = "make sure every branch of call() returns a tensor"});
    if (!masks) continue;
    const Tensor& m = i < masks->size() ? (*masks)[i] : Tensor();
    outs[i] = m.defined() ? outs[i].with_mask(m) : outs[i].without_mask();
  }
  return outs;
}
}  // namespace

TensorList Layer::call_concrete(const TensorList& inputs, const TensorList& masks, bool training) {
  TensorList outs = call(inputs, masks, training);
  if (outs.empty())
    throw ValueError({.problem = "call() returned no outputs",
                      .expected = "at least one tensor",
                      .found = "none",
                      .hint = "return at least one tensor from call()"});
  return apply_masks(std::move(outs), compute_mask(inputs, masks), type_);
}

std::vector<TensorSpec> Layer::compute_output_spec(const std::vector<TensorSpec>& input_specs) {
  TensorList inputs, masks;
  for (const auto& s : input_specs) {
    inputs.push_back(placeholder(s));
    masks.push_back(inputs.back().mask());
  }
  ensure_built(inputs);
  TensorList outs = call_concrete(inputs, masks, false);  // ops run symbolically on placeholders
  std::vector<TensorSpec> specs;
  for (const auto& o : outs) specs.push_back(o.spec());
  return specs;
}

TensorList Layer::call_symbolic(const TensorList& inputs, const CallOptions& options) {
  std::vector<TensorSpec> in_specs;
  for (const auto& x : inputs) in_specs.push_back(x.spec());
  std::vector<TensorSpec> specs = compute_output_spec(in_specs);
  std::shared_ptr<Layer> self = weak_from_this().lock();
  if (!self)
    throw ValueError({.problem = "a layer used in a model must be owned by a shared handle",
                      .expected = "a layer created with lm::make_layer<T>(...) (built-in layers already are)",
                      .found = "a layer object on the stack or owned by a plain pointer",
                      .hint = "auto layer = lm::make_layer<MyLayer>(args...); then call layer(x)"});
  auto node = std::make_shared<SymbolicNode>();
  node->op = "layer";
  node->name = name_;
  node->owner = self;
  node->where = current_where();
  node->inputs = inputs;
  node->output_specs = specs;
  node->attrs = fmt::format(R"({{"training": {}, "explicit_mask": {}}})",
                            options.training ? (*options.training ? "true" : "false") : "null",
                            options.mask.defined() ? "true" : "false");
  // Replays the call on concrete values; an explicit mask now rides on the first input.
  node->replay = [self, training = options.training, explicit_mask = options.mask.defined()](const TensorList& in) {
    CallOptions o{.training = training};
    if (explicit_mask) o.mask = in.at(0).mask();
    return (*self)(in, o);
  };
  return symbolic_outputs(node, specs);
}

TensorList Layer::operator()(const TensorList& given, const CallOptions& options) {
  LayerScope scope(name_, type_);
  TensorList inputs = given;
  inputs.insert(inputs.end(), options.initial_state.begin(), options.initial_state.end());
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].defined())
      throw ValueError({.problem = fmt::format("input {} is an undefined Tensor", i),
                        .expected = "a tensor",
                        .found = "an undefined Tensor (like Python's None)",
                        .hint = "check the layer or function that produced this input"});
  if (options.mask.defined()) {
    if (given.size() != 1)
      throw ValueError({.problem = "an explicit mask needs exactly one input",
                        .expected = "one input tensor",
                        .found = fmt::format("{} inputs", given.size()),
                        .hint = "attach masks to each input with x.with_mask(m) instead"});
    inputs[0] = inputs[0].with_mask(options.mask);
  }
  TensorList masks;
  bool any_mask = false;
  for (const auto& x : inputs) {
    masks.push_back(x.mask());
    any_mask = any_mask || x.has_mask();
  }
  if (any_mask && !options.mask.defined() && !supports_masking())
    throw MaskError(
        {.problem = "this layer received a masked input but does not support masking",
         .expected = "an unmasked input, or a layer whose supports_masking() is true",
         .found = fmt::format("input mask of shape {}",
                              std::find_if(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.has_mask(); })
                                  ->mask()
                                  .shape()
                                  .str()),
         .hint = "if call() handles the mask (it arrives as the `mask` argument and rides along on "
                 "the input), override supports_masking() to return true; to drop the mask on "
                 "purpose, pass x.without_mask()"});
  bool training = options.training.value_or(learning_phase());
  ensure_built(inputs);
  if (any_symbolic(inputs)) return call_symbolic(inputs, options);
  return call_concrete(inputs, masks, training);
}

Tensor Layer::operator()(const Tensor& input, const CallOptions& options) {
  TensorList outs = (*this)(TensorList{input}, options);
  if (outs.size() != 1)
    throw ValueError({.problem = fmt::format("layer '{}' ({}) returns {} outputs", name_, type_, outs.size()),
                      .expected = "one output for layer(tensor)",
                      .found = fmt::format("{} outputs", outs.size()),
                      .hint = "call it with a TensorList to get every output: layer(lm::TensorList{x})"});
  return outs[0];
}

}  // namespace lamina
