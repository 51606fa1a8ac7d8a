// SimpleRNN, LSTM and GRU: weights with Keras's layouts, masks, dropout and initial
// states around the fused recurrent ops -- or, for activations the kernels do not fuse,
// around the step-by-step composite of layers/rnn_composite.hpp.
#include "lamina/layers/rnn.hpp"

#include <fmt/format.h>

#include <limits>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/recurrent.hpp"
#include "lamina/ops/shape.hpp"
#include "layers/rnn_composite.hpp"
#include "ops/recurrent/sequence.hpp"

namespace lamina::layers {

namespace {

template <class O>
RecurrentConfig common(const O& o) {
  RecurrentConfig c;
  c.activation = o.activation;
  c.use_bias = o.use_bias;
  c.return_sequences = o.return_sequences;
  c.return_state = o.return_state;
  c.go_backwards = o.go_backwards;
  c.zero_output_for_mask = o.zero_output_for_mask;
  c.dropout = o.dropout;
  c.recurrent_dropout = o.recurrent_dropout;
  c.kernel_initializer = o.kernel_initializer;
  c.recurrent_initializer = o.recurrent_initializer;
  c.bias_initializer = o.bias_initializer;
  return c;
}

void check_rate(double rate, const char* what) {
  if (!(rate >= 0.0 && rate < 1.0))  // written so that NaN fails too
    throw ValueError({.problem = fmt::format("{} must be a rate in [0, 1)", what),
                      .expected = "0 <= rate < 1",
                      .found = fmt::format("{}", rate),
                      .hint = "use a rate such as 0.2 (the fraction dropped); 0 disables it"});
}

// Keras's unit_forget_bias: [init(U), ones(U), init(2U)].
Initializer forget_bias_init(std::int64_t units, Initializer base) {
  return [units, base](const Shape&, DType dtype, Generator& gen) {
    std::vector<double> v = base(Shape{units}, dtype, gen).to_vector<double>();
    v.insert(v.end(), static_cast<std::size_t>(units), 1.0);
    std::vector<double> rest = base(Shape{2 * units}, dtype, gen).to_vector<double>();
    v.insert(v.end(), rest.begin(), rest.end());
    return tensor(v, Shape{4 * units}, dtype);
  };
}

}  // namespace

RNNLayer::RNNLayer(std::string type, std::int64_t units, RecurrentConfig config, std::string name)
    : Layer(std::move(type), std::move(name)), units_(units), config_(std::move(config)) {
  LayerScope scope(this->name(), this->type());  // errors name the layer
  if (units <= 0)
    throw ValueError({.problem = fmt::format("{} needs a positive number of units", this->type()),
                      .expected = "units >= 1",
                      .found = std::to_string(units),
                      .hint = "units is the size of the state and output, e.g. LSTM(64)"});
  check_rate(config_.dropout, "dropout");
  check_rate(config_.recurrent_dropout, "recurrent_dropout");
  config_.activation.check("activation");
  if (this->type() != "SimpleRNN") config_.recurrent_activation.check("recurrent_activation");
}

bool RNNLayer::fused() const {
  auto fusable = [](const ActivationSpec& a) {
    return a.is_builtin() && lamina::detail::rnn::is_fused_activation(a.name());
  };
  return fusable(config_.activation) && (type() == "SimpleRNN" || fusable(config_.recurrent_activation));
}

std::int64_t RNNLayer::gates() const { return type() == "LSTM" ? 4 : type() == "GRU" ? 3 : 1; }

void RNNLayer::on_build(const std::vector<TensorSpec>& specs) {
  const TensorSpec& x = specs.at(0);
  if (x.shape.rank() != 3)
    throw ShapeError({.problem = fmt::format("{} needs sequences of shape (batch, time, features)", type()),
                      .expected = "rank 3: (batch, time, features)",
                      .found = fmt::format("rank {}: {}", x.shape.rank(), x.shape.str()),
                      .hint = x.shape.rank() == 2 ? "token ids (batch, time) go through an Embedding first"
                                                  : "reshape the input to (batch, time, features)"});
  if (!is_floating(x.dtype))
    throw DTypeError({.problem = fmt::format("{} needs floating-point sequences", type()),
                      .expected = "float32 or float64 (batch, time, features)",
                      .found = fmt::format("{} {}", dtype_name(x.dtype), x.shape.str()),
                      .hint = "integer token ids go through an Embedding layer first "
                              "(or lm::cast(x, lm::Float32) for numeric features)"});
  const std::int64_t F = x.shape[2], U = units_, G = gates();
  std::int64_t GU = 0;
  if (__builtin_mul_overflow(G, U, &GU))  // the gate blocks side by side: G * units columns
    throw ValueError({.problem = fmt::format("{} units are too many for the kernel's {} gate blocks", U, G),
                      .expected = fmt::format("units <= {}", std::numeric_limits<std::int64_t>::max() / G),
                      .found = std::to_string(U),
                      .hint = "check the units option"});
  if (F < 0)
    throw ShapeError({.problem = "the feature size of the input must be known",
                      .expected = "(batch, time, features) with known features",
                      .found = x.shape.str(),
                      .hint = "give Input() the feature size, e.g. lm::Input({lm::None, 8})"});
  // A callable activation is tried now, on a symbolic (batch, units) tensor, so one that
  // changes the shape or dtype fails at build time rather than mid-sequence.
  auto check_activation = [&](const ActivationSpec& a, const char* option) {
    if (a.is_builtin()) return;
    const TensorSpec in{Shape{-1, U}, x.dtype};
    const Tensor out = a(placeholder(in));
    if (!out.defined() || out.spec().shape != in.shape || out.dtype() != in.dtype)
      throw ShapeError(
          {.problem = fmt::format("the {} '{}' does not keep its input's shape and dtype", option, a.name()),
           .expected = fmt::format("an elementwise function: {} -> {}", in.str(), in.str()),
           .found = out.defined() ? out.spec().str() : "an empty tensor",
           .hint = "an activation maps each gate value to one value (e.g. lm::tanh(t))"});
  };
  check_activation(config_.activation, "activation");
  if (type() != "SimpleRNN") check_activation(config_.recurrent_activation, "recurrent_activation");
  kernel_ = add_weight("kernel", Shape{F, G * U}, config_.kernel_initializer, true, x.dtype);
  recurrent_kernel_ = add_weight("recurrent_kernel", Shape{U, G * U}, config_.recurrent_initializer, true, x.dtype);
  if (!config_.use_bias) return;
  if (type() == "GRU" && config_.reset_after)
    bias_ = add_weight("bias", Shape{2, G * U}, config_.bias_initializer, true, x.dtype);
  else if (type() == "LSTM" && config_.unit_forget_bias)
    bias_ = add_weight("bias", Shape{G * U}, forget_bias_init(U, config_.bias_initializer), true, x.dtype);
  else
    bias_ = add_weight("bias", Shape{G * U}, config_.bias_initializer, true, x.dtype);
}

Tensor RNNLayer::dropout_mask(std::int64_t batch, std::int64_t width, double rate, DType dtype) {
  std::vector<double> v(static_cast<std::size_t>(batch * width));
  const double keep = 1.0 - rate;
  for (auto& e : v) e = generator().uniform() < keep ? 1.0 / keep : 0.0;
  return tensor(v, Shape{batch, width}, dtype);
}

TensorList RNNLayer::call(const TensorList& inputs, const TensorList& masks, bool training) {
  const std::size_t states = static_cast<std::size_t>(state_count());
  if (inputs.size() != 1 && inputs.size() != 1 + states)
    throw ValueError({.problem = fmt::format("{} takes a sequence and, optionally, {} initial state{}", type(), states,
                                             states == 1 ? "" : "s"),
                      .expected = fmt::format("1 or {} inputs", 1 + states),
                      .found = fmt::format("{} inputs", inputs.size()),
                      .hint = states == 1 ? "pass {.initial_state = {h0}}" : "pass {.initial_state = {h0, c0}}"});
  const DType dt = kernel_.dtype();
  Tensor x = inputs[0];
  const std::int64_t F = kernel_.shape()[0];
  if (x.rank() == 3 && x.dim(2) >= 0 && x.dim(2) != F)
    throw ShapeError({.problem = "input features do not match the layer's kernel",
                      .expected = fmt::format("inputs (batch, time, {}) -- the layer was built for {} features", F, F),
                      .found = x.shape().str(),
                      .hint = "a layer keeps the input size it was first called with; create a new layer"});
  if (is_floating(x.dtype()) && x.dtype() != dt) x = cast(x, dt);  // Keras-style autocast
  Tensor mask = masks.empty() ? Tensor() : masks[0];

  Tensor h0, c0;
  if (inputs.size() > 1) {
    auto state = [&](std::size_t i) {
      Tensor s = inputs[i].without_mask();
      return is_floating(s.dtype()) && s.dtype() != dt ? cast(s, dt) : s;
    };
    h0 = state(1);
    if (states == 2) c0 = state(2);
  }

  RecurrentOptions o{.activation = config_.activation.name(),
                     .recurrent_activation = config_.recurrent_activation.name(),
                     .go_backwards = config_.go_backwards,
                     .return_sequences = config_.return_sequences,
                     .zero_output_for_mask = config_.zero_output_for_mask,
                     .reset_after = config_.reset_after};
  if (training && !x.is_symbolic() && x.rank() == 3) {
    const std::int64_t B = x.dim(0);
    if (config_.dropout > 0.0) x = x * expand_dims(dropout_mask(B, F, config_.dropout, dt), 1);
    if (config_.recurrent_dropout > 0.0) o.recurrent_dropout = dropout_mask(B, units_, config_.recurrent_dropout, dt);
  }
  const Tensor& W = kernel_.value();
  const Tensor& R = recurrent_kernel_.value();
  Tensor b = config_.use_bias ? bias_.value() : Tensor();
  TensorList outs;
  if (!fused())
    outs = detail::composite_sequence({type(), config_.activation, config_.recurrent_activation}, x, mask, h0, c0, W, R,
                                      b, o);
  else if (type() == "LSTM")
    outs = lstm_sequence(x, mask, h0, c0, W, R, b, o);
  else if (type() == "GRU")
    outs = gru_sequence(x, mask, h0, W, R, b, o);
  else
    outs = simple_rnn_sequence(x, mask, h0, W, R, b, o);
  if (!config_.return_state) outs.resize(1);
  return outs;
}

Json RNNLayer::get_config() const {
  Json c = Layer::get_config();
  c["units"] = units_;
  c["activation"] = config_.activation.name();
  if (type() != "SimpleRNN") c["recurrent_activation"] = config_.recurrent_activation.name();
  c["use_bias"] = config_.use_bias;
  c["return_sequences"] = config_.return_sequences;
  c["return_state"] = config_.return_state;
  c["go_backwards"] = config_.go_backwards;
  c["zero_output_for_mask"] = config_.zero_output_for_mask;
  c["dropout"] = config_.dropout;
  c["recurrent_dropout"] = config_.recurrent_dropout;
  c["kernel_initializer"] = config_.kernel_initializer.name();
  c["recurrent_initializer"] = config_.recurrent_initializer.name();
  c["bias_initializer"] = config_.bias_initializer.name();
  if (type() == "LSTM") c["unit_forget_bias"] = config_.unit_forget_bias;
  if (type() == "GRU") c["reset_after"] = config_.reset_after;
  return c;
}

std::shared_ptr<RNNLayer> RNNLayer::clone(const RecurrentConfig& config, const std::string& name) const {
  return std::make_shared<RNNLayer>(type(), units_, config, name);
}

// ---- the three kinds ----

SimpleRNNLayer::SimpleRNNLayer(std::int64_t units, SimpleRNNOptions o)
    : RNNLayer("SimpleRNN", units, common(o), o.name) {}

LSTMLayer::LSTMLayer(std::int64_t units, LSTMOptions o)
    : RNNLayer(
          "LSTM", units,
          [&] {
            RecurrentConfig c = common(o);
            c.recurrent_activation = o.recurrent_activation;
            c.unit_forget_bias = o.unit_forget_bias;
            return c;
          }(),
          o.name) {}

GRULayer::GRULayer(std::int64_t units, GRUOptions o)
    : RNNLayer(
          "GRU", units,
          [&] {
            RecurrentConfig c = common(o);
            c.recurrent_activation = o.recurrent_activation;
            c.reset_after = o.reset_after;
            return c;
          }(),
          o.name) {}

}  // namespace lamina::layers
