#include "lamina/train/optimizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/parallel.hpp"
#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/profile.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/layers/layer.hpp"
#include "train/optimizers/config_fields.hpp"
#include "train/optimizers/kernel.hpp"

namespace lamina::optimizers {

using detail::require_option;

namespace {

// Sum of squares in double over fixed blocks added in order: the same bits for any thread count.
template <class T>
double sum_squares(const T* p, std::int64_t n) {
  constexpr std::int64_t kBlock = 1 << 14;
  const std::int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<std::size_t>(blocks), 0.0);
  lamina::detail::parallel_for(blocks, 2, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      // Four running sums (a fixed order, so still deterministic) let the adds overlap.
      double s[4] = {0, 0, 0, 0};
      std::int64_t i = b * kBlock, end = std::min(n, (b + 1) * kBlock);
      for (; i + 4 <= end; i += 4)
        for (int k = 0; k < 4; ++k) s[k] += static_cast<double>(p[i + k]) * static_cast<double>(p[i + k]);
      for (; i < end; ++i) s[0] += static_cast<double>(p[i]) * static_cast<double>(p[i]);
      partial[static_cast<std::size_t>(b)] = (s[0] + s[1]) + (s[2] + s[3]);
    }
  });
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

double sum_squares(const Tensor& g) {
  std::int64_t n = g.numel();
  return g.dtype() == Float64 ? sum_squares(g.data<double>(), n) : sum_squares(g.data<float>(), n);
}

std::string slot_base(const Variable& v) {
  std::string s = v.name();
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

void check_optional(const std::string& who, const char* option, const std::optional<double>& v, bool zero_ok) {
  if (!v) return;
  require_option(std::isfinite(*v) && (zero_ok ? *v >= 0 : *v > 0), who, option, *v,
                 zero_ok ? "a finite number >= 0" : "a finite number > 0",
                 zero_ok ? "" : "leave it unset (std::nullopt) to disable it");
}

// A numeric rate lives in a float32 variable (as in Keras), so it must fit one.
void check_rate(const std::string& who, double lr) {
  require_option(lr >= 0 && lr <= std::numeric_limits<float>::max(), who, "learning_rate", lr,
                 "a finite number >= 0 (stored as float32)");
}

}  // namespace

Optimizer::Optimizer(std::string class_name, const LearningRate& learning_rate, OptimizerOptions options)
    : class_name_(std::move(class_name)), options_(std::move(options)) {
  // Checks come first so a refused optimizer does not use up a name.
  if (learning_rate.is_schedule()) {
    if (!learning_rate.schedule())
      throw ValueError({.problem = class_name_ + ": learning_rate is a null schedule",
                        .expected = "a number or a schedule",
                        .found = "an empty ScheduleRef",
                        .hint = "pass e.g. lm::optimizers::ExponentialDecay(...) or a number"});
    schedule_ = learning_rate.schedule();
  } else {
    check_rate(class_name_, learning_rate.value());
  }
  check_optional(class_name_, "weight_decay", options_.weight_decay, true);
  check_optional(class_name_, "clipnorm", options_.clipnorm, false);
  check_optional(class_name_, "clipvalue", options_.clipvalue, false);
  check_optional(class_name_, "global_clipnorm", options_.global_clipnorm, false);
  int clips = options_.clipnorm.has_value() + options_.clipvalue.has_value() + options_.global_clipnorm.has_value();
  if (clips > 1)
    throw ValueError(
        {.problem = class_name_ + ": only one of clipnorm, clipvalue and global_clipnorm can be set",
         .expected = "at most one clipping option",
         .found = fmt::format("clipnorm = {}, clipvalue = {}, global_clipnorm = {}",
                              options_.clipnorm ? fmt::format("{}", *options_.clipnorm) : "unset",
                              options_.clipvalue ? fmt::format("{}", *options_.clipvalue) : "unset",
                              options_.global_clipnorm ? fmt::format("{}", *options_.global_clipnorm) : "unset")});
  name_ = options_.name.empty() ? unique_layer_name(snake_case(class_name_)) : options_.name;
  options_.name = name_;
  iterations_ = Variable(name_ + "/iteration", scalar(std::int64_t{0}, Int64), false);
  if (!schedule_)
    learning_rate_ =
        Variable(name_ + "/learning_rate", scalar(static_cast<float>(learning_rate.value()), Float32), false);
}

Optimizer::~Optimizer() = default;

std::string Optimizer::describe() const { return fmt::format("optimizer '{}' ({})", name_, class_name_); }

std::int64_t Optimizer::iterations() const { return iterations_.value().item<std::int64_t>(); }

double Optimizer::learning_rate() const {
  if (schedule_) return (*schedule_)(iterations());
  return learning_rate_.value().item<double>();
}

void Optimizer::set_learning_rate(double lr) {
  NoteScope where(describe());
  if (schedule_)
    throw ValueError({.problem = "the learning rate is a schedule and cannot be set",
                      .expected = "an optimizer created with a number as learning_rate",
                      .found = "a " + schedule_->class_name() + " schedule",
                      .hint = "create the optimizer with a number to change its rate from a callback"});
  check_rate(class_name_, lr);
  learning_rate_.assign(scalar(static_cast<float>(lr), Float32));
}

std::vector<Variable> Optimizer::variables() const {
  std::vector<Variable> out{iterations_};
  if (learning_rate_.defined()) out.push_back(learning_rate_);
  out.insert(out.end(), own_variables_.begin(), own_variables_.end());
  return out;
}

std::int64_t Optimizer::count_params() const {
  std::int64_t n = 0;
  for (const auto& v : variables()) n += v.shape().numel();
  return n;
}

// ---- building ---------------------------------------------------------------------------

namespace {
// -1 when `v` is not in `vars`.
std::int64_t find(const std::vector<Variable>& vars, const Variable& v) {
  for (std::size_t i = 0; i < vars.size(); ++i)
    if (vars[i] == v) return static_cast<std::int64_t>(i);
  return -1;
}

// Every variable defined, float32/float64 and listed once.
void check_variables(const std::vector<Variable>& vars) {
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const Variable& v = vars[i];
    if (!v.defined())
      throw ValueError({.problem = fmt::format("variable {} is an empty Variable handle", i),
                        .expected = "variables created with a name and a value",
                        .found = "a default-constructed Variable",
                        .hint = "pass the model's trainable weights"});
    if (v.dtype() != Float32 && v.dtype() != Float64)
      throw DTypeError({.problem = "variable '" + v.name() + "' cannot be optimized: it is not floating point",
                        .expected = "float32 or float64",
                        .found = std::string(dtype_name(v.dtype())),
                        .hint = "make the weight non-trainable or keep it out of the optimizer's variables"});
    for (std::size_t j = 0; j < i; ++j)
      if (vars[j] == v)
        throw ValueError({.problem = "variable '" + v.name() + "' is listed twice",
                          .expected = "each variable once",
                          .found = fmt::format("'{}' at positions {} and {}", v.name(), j, i),
                          .hint = "pass each weight once (shared layers share their weights)"});
  }
}
}  // namespace

void Optimizer::build(const std::vector<Variable>& vars) {
  NoteScope where(describe());
  check_variables(vars);
  if (built_) {
    for (const auto& v : vars)
      if (find(vars_, v) < 0)
        throw ValueError(
            {.problem = "variable '" + v.name() + "' is not one of the variables the optimizer was built for",
             .expected = fmt::format("one of its {} variables", vars_.size()),
             .found = "'" + v.name() + "'",
             .hint = "an optimizer serves one set of variables: create a new optimizer for new ones"});
    return;
  }
  vars_ = vars;
  build_slots(vars_);
  built_ = true;
  refresh_weight_decay_flags();
}

std::vector<std::vector<Variable>> Optimizer::add_slots(const std::vector<Variable>& vars,
                                                        const std::vector<std::string>& names, double initial_value) {
  std::vector<std::vector<Variable>> out(names.size());
  for (const auto& v : vars)
    for (std::size_t k = 0; k < names.size(); ++k) {
      Tensor init = initial_value == 0.0 ? zeros(v.shape(), v.dtype()) : full(v.shape(), initial_value, v.dtype());
      Variable slot(name_ + "/" + slot_base(v) + "_" + names[k], init, false);
      out[k].push_back(slot);
      own_variables_.push_back(slot);
    }
  return out;
}

Variable Optimizer::add_variable(const std::string& name, const Tensor& initial) {
  Variable v(name_ + "/" + name, initial, false);
  own_variables_.push_back(v);
  return v;
}

// ---- weight decay -------------------------------------------------------------------------

void Optimizer::exclude_from_weight_decay(std::vector<std::string> name_substrings, std::vector<Variable> var_list) {
  exclude_names_ = std::move(name_substrings);
  exclude_vars_ = std::move(var_list);
  if (built_) refresh_weight_decay_flags();
}

bool Optimizer::uses_weight_decay(const Variable& var) const {
  if (!options_.weight_decay || *options_.weight_decay == 0) return false;
  if (find(exclude_vars_, var) >= 0) return false;
  for (const auto& s : exclude_names_)
    if (var.name().find(s) != std::string::npos) return false;
  return true;
}

void Optimizer::refresh_weight_decay_flags() {
  decay_.assign(vars_.size(), false);
  for (std::size_t i = 0; i < vars_.size(); ++i) decay_[i] = uses_weight_decay(vars_[i]);
}

// ---- one step -----------------------------------------------------------------------------

void Optimizer::check_step(const TensorList& grads, const std::vector<Variable>& vars,
                           std::vector<std::size_t>& index) const {
  if (grads.size() != vars.size())
    throw ValueError({.problem = "apply_gradients needs one gradient per variable",
                      .expected = fmt::format("{} gradients for {} variables", vars.size(), vars.size()),
                      .found = fmt::format("{} gradients", grads.size()),
                      .hint = "grads[i] updates vars[i]; use an undefined Tensor() for a variable without gradient"});
  // The usual call passes the built variables in order: they were checked by build().
  bool same_order = built_ && vars.size() == vars_.size() && std::equal(vars.begin(), vars.end(), vars_.begin());
  if (!same_order) check_variables(vars);
  index.resize(vars.size());
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (!built_ || same_order) {
      index[i] = i;
      continue;
    }
    std::int64_t k = find(vars_, vars[i]);
    if (k < 0)
      throw ValueError(
          {.problem = "variable '" + vars[i].name() + "' is not one of the variables the optimizer was built for",
           .expected = fmt::format("one of its {} variables", vars_.size()),
           .found = "'" + vars[i].name() + "'",
           .hint = "an optimizer serves one set of variables: create a new optimizer for new ones"});
    index[i] = static_cast<std::size_t>(k);
  }
  bool any = false;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = grads[i];
    if (!g.defined()) continue;
    any = true;
    const Variable& v = vars[i];
    if (g.is_symbolic())
      throw ValueError({.problem = "the gradient for variable '" + v.name() + "' is symbolic",
                        .expected = "a gradient with values",
                        .found = "symbolic " + g.spec().str(),
                        .hint = "compute gradients with a GradientTape on concrete data"});
    if (g.dtype() != v.dtype())
      throw DTypeError({.problem = "the gradient for variable '" + v.name() + "' has another dtype",
                        .expected = std::string(dtype_name(v.dtype())) + " (the variable's dtype)",
                        .found = std::string(dtype_name(g.dtype())),
                        .hint = "lm::cast the gradient to the variable's dtype"});
    if (g.shape() != v.shape())
      throw ShapeError({.problem = "the gradient for variable '" + v.name() + "' has another shape",
                        .expected = v.shape().str() + " (the variable's shape)",
                        .found = g.shape().str(),
                        .hint = "grads[i] must be the gradient of vars[i]"});
  }
  if (!any)
    throw ValueError({.problem = "no gradients provided for any variable",
                      .expected = "at least one defined gradient",
                      .found = fmt::format("{} undefined gradients", grads.size()),
                      .hint = "check that the loss depends on the variables (tape.require_gradients names the cut)"});
}

std::vector<double> Optimizer::clip_scales(const TensorList& grads, const std::vector<std::size_t>& active) const {
  std::vector<double> scale(grads.size(), 1.0);
  if (options_.clipnorm) {
    // Keras: g * clipnorm / max(||g||, clipnorm) (NaN norms give NaN).
    double c = *options_.clipnorm;
    for (std::size_t i : active) {
      double norm = std::sqrt(sum_squares(grads[i]));
      scale[i] = c / detail::nan_max(norm, c);
    }
  } else if (options_.global_clipnorm) {
    // Keras's clip_by_global_norm: clip * min(1 / norm, 1 / clip), NaN when the norm is not finite.
    double c = *options_.global_clipnorm, total = 0;
    for (std::size_t i : active) total += sum_squares(grads[i]);
    double norm = std::sqrt(total);
    double s = c * std::min(1.0 / norm, 1.0 / c) + (norm - norm);
    for (std::size_t i : active) scale[i] = s;
  }
  return scale;
}

void Optimizer::apply_gradients(const TensorList& grads, const std::vector<Variable>& vars) {
  profile::Scope timed(profile::Kind::Optimizer);
  NoteScope where(describe());
  lamina::detail::PauseRecording pause;       // updates are never recorded
  if (grads.empty() && vars.empty()) return;  // Keras: a no-op (iterations unchanged)
  std::vector<std::size_t> index;
  check_step(grads, vars, index);
  const double lr = learning_rate();
  const std::int64_t iteration = iterations();
  if (!(std::isfinite(lr) && lr >= 0))
    throw ValueError({.problem = fmt::format("the learning-rate schedule gives {} at step {}", lr, iteration),
                      .expected = "a finite rate >= 0",
                      .found = fmt::format("{} from a {} schedule", lr, schedule_ ? schedule_->class_name() : "?"),
                      .hint = "fix the schedule's operator()"});
  if (!built_) build(vars);

  std::vector<std::size_t> active;
  for (std::size_t i = 0; i < grads.size(); ++i)
    if (grads[i].defined()) active.push_back(i);
  const std::vector<double> scale = clip_scales(grads, active);
  const double clip = options_.clipvalue.value_or(0.0);
  const double wd = options_.weight_decay.value_or(0.0);

  prepare_step(lr, iteration);
  for (std::size_t i : active) {
    const std::size_t k = index[i];
    update_step(VariableUpdate{.index = k,
                               .variable = vars_[k],
                               .gradient = grads[i],
                               .learning_rate = lr,
                               .iteration = iteration,
                               .grad_scale = scale[i],
                               .grad_clip = clip,
                               .weight_decay = decay_[k],
                               .weight_decay_rate = wd});
  }
  iterations_.assign(scalar(iteration + 1, Int64));
}

// ---- config -------------------------------------------------------------------------------

Json Optimizer::get_config() const {
  Json c;
  c["name"] = name_;
  c["learning_rate"] = schedule_ ? serialize(*schedule_) : Json(learning_rate());
  c["weight_decay"] = detail::optional_json(options_.weight_decay);
  c["clipnorm"] = detail::optional_json(options_.clipnorm);
  c["global_clipnorm"] = detail::optional_json(options_.global_clipnorm);
  c["clipvalue"] = detail::optional_json(options_.clipvalue);
  // Keras's base options that Lamina does not implement, at their off values.
  c["use_ema"] = false;
  c["ema_momentum"] = 0.99;
  c["ema_overwrite_frequency"] = nullptr;
  c["loss_scale_factor"] = nullptr;
  c["gradient_accumulation_steps"] = nullptr;
  add_config(c);
  return c;
}

}  // namespace lamina::optimizers
