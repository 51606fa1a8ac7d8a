// Lambda: concrete calls run the function on the data; symbolic calls infer the output
// spec by tracing the function on the symbolic inputs (probing with data only when the
// function needs values); declared shapes are checked at build time and on every call.
#include "lamina/layers/lambda.hpp"

#include <fmt/format.h>

#include <exception>
#include <map>
#include <mutex>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/cast.hpp"

namespace lamina::layers {

namespace {

std::string specs_str(const std::vector<TensorSpec>& specs) {
  if (specs.size() == 1) return specs[0].shape.str();
  std::string s = "[";
  for (std::size_t i = 0; i < specs.size(); ++i) s += (i ? ", " : "") + specs[i].shape.str();
  return s + "]";
}

// Probe data. A function may return nothing for some data (a data-dependent branch); the
// probes then try the next kind of data, and calls on real batches still catch it.
enum class ProbeData { Normal, Ones, NegativeOnes };

// A concrete stand-in for `spec` with every unknown dim set to `size`.
Tensor probe(const TensorSpec& spec, std::int64_t size, ProbeData data, Generator& gen) {
  std::vector<std::int64_t> dims(spec.shape.begin(), spec.shape.end());
  for (auto& d : dims)
    if (d < 0) d = size;
  Shape shape(dims);
  Tensor t;
  if (!is_floating(spec.dtype)) {
    // Small non-negative integers are valid indices for most lookups.
    t = random_uniform(shape, {.minval = 0, .maxval = 2, .dtype = spec.dtype == Bool ? Int32 : spec.dtype}, gen);
    if (spec.dtype == Bool) t = cast(t, Bool);
  } else if (data == ProbeData::Normal) {
    t = random_normal(shape, {.dtype = spec.dtype}, gen);
  } else {
    t = full(shape, data == ProbeData::Ones ? 1.0 : -1.0, spec.dtype);
  }
  if (spec.has_mask()) t = t.with_mask(ones(shape.prefix(spec.mask_rank), Bool));
  return t;
}

// Runs user code (the function or the mask function). An exception that is not a lamina
// error becomes a ValueError saying which function threw and on what; the layer's scope is
// still open, so it names the layer.
template <class F>
Tensor guarded(const char* what, const TensorList& inputs, F&& f) {
  try {
    return f();
  } catch (const Error&) {
    throw;  // already typed
  } catch (const std::exception& e) {
    std::vector<TensorSpec> specs;
    for (const auto& x : inputs) specs.push_back(x.spec());
    throw ValueError(
        {.problem = fmt::format("the {} threw an exception", what),
         .expected = "a tensor (or a lamina error) for input " + specs_str(specs),
         .found = fmt::format("an exception saying \"{}\"", e.what()),
         .hint =
             fmt::format("fix the {}; it runs on the symbolic inputs when a model is built, and on every call", what)});
  }
}

// Whether a concrete shape fits a spec shape (unknown dims match anything).
bool fits(const Shape& concrete, const Shape& spec) {
  if (concrete.rank() != spec.rank()) return false;
  for (std::int64_t i = 0; i < spec.rank(); ++i)
    if (spec[i] >= 0 && concrete[i] >= 0 && spec[i] != concrete[i]) return false;
  return true;
}

// The named functions, shared by every thread.
struct LambdaRegistry {
  std::mutex mu;
  std::map<std::string, LambdaListFn> fns;
};
LambdaRegistry& lambda_registry() {
  static LambdaRegistry r;
  return r;
}

std::string joined_names(const std::map<std::string, LambdaListFn>& fns) {
  std::string s;
  for (const auto& [name, fn] : fns) s += (s.empty() ? "" : ", ") + name;
  return s.empty() ? "(none registered)" : s;
}

}  // namespace

void register_lambda(const std::string& name, LambdaListFn fn) {
  if (name.empty() || !fn)
    throw ValueError({.op = "register_lambda",
                      .problem = "register_lambda needs a name and a function",
                      .expected = "a non-empty name and a callable",
                      .found = name.empty() ? "an empty name" : "an empty function for '" + name + "'",
                      .hint = "register_lambda(\"my_fn\", [](const lm::Tensor& x) { return ...; })"});
  auto& r = lambda_registry();
  std::lock_guard lock(r.mu);
  r.fns[name] = std::move(fn);
}

void register_lambda(const std::string& name, LambdaFn fn) {
  LambdaListFn list_fn;
  if (fn) list_fn = [f = std::move(fn)](const TensorList& in) { return f(in.at(0)); };
  register_lambda(name, std::move(list_fn));
}

LambdaListFn registered_lambda(const std::string& name) {
  auto& r = lambda_registry();
  std::lock_guard lock(r.mu);
  auto it = r.fns.find(name);
  if (it == r.fns.end())
    throw ValueError({.problem = "no Lambda function is registered under '" + name + "'",
                      .expected = "one of the registered names: " + joined_names(r.fns),
                      .found = "'" + name + "'",
                      .hint = "call lamina::layers::register_lambda(\"" + name +
                              "\", fn) first (e.g. at program start, before loading configs)"});
  return it->second;
}

std::vector<std::string> registered_lambda_names() {
  auto& r = lambda_registry();
  std::lock_guard lock(r.mu);
  std::vector<std::string> names;
  for (const auto& [name, fn] : r.fns) names.push_back(name);
  return names;
}

LambdaLayer::LambdaLayer(LambdaListFn fn, LambdaOptions options)
    : Layer("Lambda", options.name), fn_(std::move(fn)), options_(std::move(options)) {
  LayerScope scope(name(), type());  // errors name the layer
  if (!fn_)
    throw ValueError({.problem = "Lambda needs a function",
                      .expected = "a callable",
                      .found = "an empty function",
                      .hint = "pass a callable, e.g. Lambda([](const lm::Tensor& x) { return lm::tanh(x); })"});
}

LambdaLayer::LambdaLayer(const std::string& function_name, LambdaOptions options)
    : Layer("Lambda", options.name), function_name_(function_name), options_(std::move(options)) {
  LayerScope scope(name(), type());
  fn_ = registered_lambda(function_name_);
}

Tensor LambdaLayer::invoke(const TensorList& inputs) const {
  return guarded("function", inputs, [&] { return fn_(inputs); });
}

Tensor LambdaLayer::run(const TensorList& inputs) const {
  Tensor out = invoke(inputs);
  if (!out.defined()) {
    std::vector<TensorSpec> specs;
    for (const auto& x : inputs) specs.push_back(x.spec());
    throw ValueError({.problem = "the function returned an undefined tensor (the analogue of Python's None)",
                      .expected = "a tensor on every path of the function",
                      .found = "nothing, for input shape " + specs_str(specs),
                      .hint = "make every branch return a tensor, e.g. lm::zeros_like(x) instead of lm::Tensor{}"});
  }
  return out;
}

// The output spec from running the function on probe data: the fallback for functions
// that need values. Dims that differ between two probe sizes are unknown.
TensorSpec LambdaLayer::probe_spec(const std::vector<TensorSpec>& input_specs) {
  Generator gen(0);
  TensorList small, large;
  Tensor a, b;
  for (ProbeData data : {ProbeData::Normal, ProbeData::Ones, ProbeData::NegativeOnes}) {
    small.clear();
    large.clear();
    for (const auto& s : input_specs) {
      small.push_back(probe(s, 2, data, gen));
      large.push_back(probe(s, 3, data, gen));
    }
    a = invoke(small);
    b = a.defined() ? invoke(large) : Tensor();
    if (a.defined() && b.defined()) break;
  }
  if (!a.defined() || !b.defined()) run(small);  // raises the "returned nothing" error
  if (a.rank() != b.rank())
    throw ShapeError({.problem = "the function's output rank depends on the input sizes",
                      .expected = "one output rank for inputs " + specs_str(input_specs),
                      .found = fmt::format("{} then {}", a.spec().str(), b.spec().str()),
                      .hint = "a Lambda must return the same kind of tensor for every batch"});
  if (a.dtype() != b.dtype())
    throw DTypeError({.problem = "the function's output dtype depends on the input sizes",
                      .expected = "one output dtype for inputs " + specs_str(input_specs),
                      .found = fmt::format("{} then {}", a.spec().str(), b.spec().str()),
                      .hint = "a Lambda must return the same kind of tensor for every batch; cast the "
                              "output (lm::cast) if a branch changes it"});
  std::vector<std::int64_t> dims;
  for (std::int64_t i = 0; i < a.rank(); ++i) dims.push_back(a.shape()[i] == b.shape()[i] ? a.shape()[i] : None);
  TensorSpec out{Shape(dims), a.dtype(), a.mask_rank()};
  if (options_.mask.fn()) {
    TensorList masks;
    for (const auto& x : small) masks.push_back(x.mask());
    Tensor m = guarded("mask function", small, [&] { return options_.mask.fn()(small, masks); });
    out.mask_rank = m.defined() ? m.rank() : -1;
  }
  return out;
}

TensorSpec LambdaLayer::infer(const std::vector<TensorSpec>& input_specs) {
  detail::PauseRecording pause;  // inference is not part of any gradient computation
  const std::string inputs = specs_str(input_specs);
  TensorSpec out;
  // 1. Trace: the ops infer their specs on the symbolic inputs, exactly.
  bool traced = false;
  std::string trace_error;  // why tracing failed, for the message if probing fails too
  try {
    TensorList sym;
    for (const auto& s : input_specs) sym.push_back(placeholder(s));
    Tensor y = invoke(sym);
    if (y.defined()) {  // undefined: a branch on sizes or values; the probes retry with data
      out = y.spec();
      if (options_.mask.fn()) {
        TensorList masks;
        for (const auto& x : sym) masks.push_back(x.mask());
        Tensor m = guarded("mask function", sym, [&] { return options_.mask.fn()(sym, masks); });
        out.mask_rank = m.defined() ? m.rank() : -1;
      }
      traced = true;
    }
  } catch (const Error& e) {
    trace_error = e.details().problem;
  }
  // 2. Fallback: the function needs values (or returned nothing); run it on probe data.
  if (!traced) {
    try {
      out = probe_spec(input_specs);
    } catch (const Error& e) {
      std::string note = "raised while running the function on probe inputs " + inputs + " to infer its output shape";
      if (!trace_error.empty()) note += "; tracing it on the symbolic inputs failed first: " + trace_error;
      rethrow_with_note(e, note);
    }
  }
  if (options_.mask.drops()) out.mask_rank = -1;
  if (options_.output_shape) {
    check_declared(out.shape, inputs);
    // A declared size refines a dim that inference could not pin down.
    for (std::int64_t i = 1; i < out.shape.rank(); ++i)
      if (out.shape[i] < 0) out.shape[i] = (*options_.output_shape)[i - 1];
  }
  return out;
}

void LambdaLayer::check_declared(const Shape& out, const std::string& input) const {
  if (!options_.output_shape) return;
  std::vector<std::int64_t> declared{None};
  declared.insert(declared.end(), options_.output_shape->begin(), options_.output_shape->end());
  if (!fits(out, Shape(declared)))
    throw ShapeError({.problem = "declared output_shape does not match what the function returns",
                      .expected = Shape(declared).str() + " (the declared output_shape, batch first)",
                      .found = fmt::format("{} for input {}", out.str(), input),
                      .hint = "drop output_shape to let Lamina infer it, or fix the function"});
}

std::vector<TensorSpec> LambdaLayer::compute_output_spec(const std::vector<TensorSpec>& input_specs) {
  for (const auto& inf : inferred_)
    if (inf.inputs == input_specs) return {inf.output};
  TensorSpec out = infer(input_specs);
  inferred_.push_back({input_specs, out});
  return {out};
}

std::optional<TensorSpec> LambdaLayer::inferred_spec() const {
  if (inferred_.empty()) return std::nullopt;
  return inferred_.back().output;
}

TensorList LambdaLayer::call(const TensorList& inputs, const TensorList&, bool) {
  std::vector<TensorSpec> specs;
  for (const auto& x : inputs) specs.push_back(x.spec());
  Tensor out = run(inputs);
  if (any_symbolic(inputs)) return {out};  // call() reached directly with symbolic inputs: that is a trace
  check_declared(out.shape(), specs_str(specs));
  // Data flowing through a symbolic call's graph must match what was inferred for it.
  for (const auto& inf : inferred_) {
    bool matches = inf.inputs.size() == specs.size();
    for (std::size_t i = 0; matches && i < specs.size(); ++i)
      matches = fits(specs[i].shape, inf.inputs[i].shape) && specs[i].dtype == inf.inputs[i].dtype &&
                specs[i].mask_rank == inf.inputs[i].mask_rank;
    if (!matches) continue;
    ErrorDetails d{.problem = "the function returned a different kind of tensor than inferred when the model was built",
                   .expected = fmt::format("{} (inferred for input {})", inf.output.str(), specs_str(inf.inputs)),
                   .found = fmt::format("{} for input {}", out.spec().str(), specs_str(specs)),
                   .hint =
                       "a Lambda must return the same shape and dtype for every batch; check "
                       "data-dependent branches in the function"};
    if (!fits(out.shape(), inf.output.shape)) throw ShapeError(d);
    if (out.dtype() != inf.output.dtype) throw DTypeError(d);
    break;
  }
  return {out};
}
std::optional<TensorList> LambdaLayer::compute_mask(const TensorList& inputs, const TensorList& masks) {
  if (options_.mask.drops()) return TensorList{Tensor()};
  if (options_.mask.fn())
    return TensorList{guarded("mask function", inputs, [&] { return options_.mask.fn()(inputs, masks); })};
  return std::nullopt;
}

Json LambdaLayer::get_config() const {
  Json c = Layer::get_config();
  // The registered name, or null: a callable cannot be written into a config.
  c["function"] = function_name_.empty() ? Json(nullptr) : Json(function_name_);
  if (options_.output_shape) c["output_shape"] = options_.output_shape->dims();
  c["mask"] = options_.mask.drops() ? "drop" : options_.mask.fn() ? "function" : "ops";
  return c;
}

}  // namespace lamina::layers
