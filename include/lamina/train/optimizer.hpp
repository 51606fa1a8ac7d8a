#pragma once
// Optimizer: the base of every optimizer, with Keras 3's semantics (docs/optimizers.md).
//
//   auto opt = lm::optimizers::Adam(1e-3, {.clipnorm = 1.0});
//   opt->apply_gradients(grads, vars);   // grads[i] updates vars[i]
//
// One step, as Keras 3's BaseOptimizer.apply():
//   1. undefined gradients are skipped (their variables are not touched, not even decayed);
//   2. clipping: clipnorm (each gradient to that L2 norm), global_clipnorm (all gradients
//      together) or clipvalue (each element to [-v, v]) -- at most one of them;
//   3. weight decay: var -= var * weight_decay * lr, before the update;
//   4. the optimizer's update rule, with lr = the learning rate (schedule evaluated at
//      iterations(), the count before this step);
//   5. iterations += 1.
// All state lives in Variables (variables()), so assigning saved values to them -- after
// build() on the same kind of variables -- restores the optimizer. Updates are not
// recorded on any GradientTape and are deterministic.
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lamina/core/tensor.hpp"
#include "lamina/core/variable.hpp"
#include "lamina/train/schedules.hpp"

namespace lamina::optimizers {

// A learning rate: a number (stored as a float32 variable, as Keras does) or a schedule.
class LearningRate {
 public:
  LearningRate(double value) : value_(value) {}
  LearningRate(ScheduleRef schedule) : schedule_(std::move(schedule)), is_schedule_(true) {}
  template <class S>
  requires std::derived_from<S, LearningRateSchedule> LearningRate(std::shared_ptr<S> schedule)
      : LearningRate(ScheduleRef(std::move(schedule))) {}

  bool is_schedule() const { return is_schedule_; }
  double value() const { return value_; }  // when !is_schedule()
  const ScheduleRef& schedule() const { return schedule_; }

 private:
  double value_ = 0;
  ScheduleRef schedule_;
  bool is_schedule_ = false;
};

// The options of Keras 3's base optimizer that Lamina supports. Every optimizer's options
// struct repeats them (designated initializers cannot reach into a base struct).
struct OptimizerOptions {
  std::optional<double> weight_decay;     // >= 0; var -= var * weight_decay * lr each step
  std::optional<double> clipnorm;         // > 0; each gradient clipped to this L2 norm
  std::optional<double> clipvalue;        // > 0; each gradient element clipped to [-v, v]
  std::optional<double> global_clipnorm;  // > 0; all gradients scaled so their joint norm <= this
  std::string name;                       // default: snake_case of the class, made unique ("adam", "adam_1")
};

// What Optimizer::update_step gets for one variable (for writing optimizers).
struct VariableUpdate {
  std::size_t index;  // position in built_variables()
  const Variable& variable;
  const Tensor& gradient;  // same shape and dtype as the variable (its mask is ignored)
  double learning_rate;
  std::int64_t iteration;  // iterations() before this step (Keras's local_step is iteration + 1)
  // Clipping, applied to each gradient element before the rule: g * grad_scale (clipnorm,
  // global_clipnorm; 1 when not clipping), then clamped to [-grad_clip, grad_clip] when
  // grad_clip > 0 (clipvalue).
  double grad_scale;
  double grad_clip;
  // var -= var * weight_decay * learning_rate before the rule, when true.
  bool weight_decay;
  double weight_decay_rate;
};

class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  const std::string& name() const { return name_; }
  // Keras class name ("Adam", "SGD", "RMSprop"), written by serialize().
  const std::string& class_name() const { return class_name_; }
  const OptimizerOptions& options() const { return options_; }

  // One step: grads[i] updates vars[i] (gradients must have the variables' shapes and dtypes;
  // a mask on a gradient is ignored). An undefined gradient skips its variable; all undefined
  // is a ValueError (Keras: "No gradients provided for any variable"); empty lists do nothing.
  // The first call builds the optimizer on `vars`; later calls may pass any of those variables.
  // Every check runs before anything changes, so a failed call leaves the state as it was.
  void apply_gradients(const TensorList& grads, const std::vector<Variable>& vars);
  // The same with GradientTape::gradient's result (nullopt = undefined). A template only so
  // that braced lists `apply_gradients({g1, g2}, vars)` pick the TensorList overload.
  template <class G>
  requires std::same_as<G, std::optional<Tensor>>
  void apply_gradients(const std::vector<G>& grads, const std::vector<Variable>& vars) {
    TensorList g;
    g.reserve(grads.size());
    for (const auto& x : grads) g.push_back(x ? *x : Tensor());
    apply_gradients(g, vars);
  }

  // Creates the slot variables (float32/float64 variables only; DTypeError otherwise).
  // Idempotent for variables it was built with; other variables are a ValueError.
  void build(const std::vector<Variable>& vars);
  bool built() const { return built_; }
  // The variables build() was given, in order.
  const std::vector<Variable>& built_variables() const { return vars_; }

  std::int64_t iterations() const;
  // The rate the next step uses: the schedule at iterations(), or the learning_rate variable.
  double learning_rate() const;
  // For callbacks (LearningRateScheduler, ReduceLROnPlateau). ValueError if the rate is a
  // schedule or `lr` is negative or not finite. Stored as float32, like Keras.
  void set_learning_rate(double lr);
  // The schedule, or null when the rate is a number.
  const ScheduleRef& schedule() const { return schedule_; }

  // Every state variable, in Keras 3's order: iteration (int64 scalar), learning_rate
  // (float32 scalar, only without a schedule), then what build() created, in the order
  // Keras 3's build() creates it. Names: "<optimizer>/iteration", "<optimizer>/learning_rate",
  // "<optimizer>/<variable name, '/' -> '_'>_<slot>".
  std::vector<Variable> variables() const;
  std::int64_t count_params() const;  // elements in variables()

  // Variables whose name contains any of `name_substrings`, or that are in `var_list`, get no
  // weight decay. Replaces earlier exclusions (as Keras's exclude_from_weight_decay).
  void exclude_from_weight_decay(std::vector<std::string> name_substrings, std::vector<Variable> var_list = {});
  // Whether weight decay applies to `var` (false when weight_decay is unset).
  bool uses_weight_decay(const Variable& var) const;

  // Keras 3's config: name, learning_rate (a number, or the serialized schedule), the base
  // options (weight_decay, clipnorm, global_clipnorm, clipvalue, use_ema, ema_momentum,
  // ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps) and the
  // optimizer's own hyperparameters.
  virtual Json get_config() const;

 protected:
  Optimizer(std::string class_name, const LearningRate& learning_rate, OptimizerOptions options);

  // Creates the slots (add_slots/add_variable) in Keras's order; called once by build().
  virtual void build_slots(const std::vector<Variable>& vars) = 0;
  // Called once per step, after the checks and before the updates (Nadam's momentum cache).
  virtual void prepare_step(double learning_rate, std::int64_t iteration) {}
  // Updates one variable and its slots. Must not throw (everything is checked before).
  virtual void update_step(const VariableUpdate& update) = 0;
  // Hyperparameters to add to the base config.
  virtual void add_config(Json& config) const = 0;

  // One slot per (variable, name), created variable by variable and name by name within a
  // variable, as Keras's add_optimizer_variables interleaves them: result[name][variable].
  std::vector<std::vector<Variable>> add_slots(const std::vector<Variable>& vars, const std::vector<std::string>& names,
                                               double initial_value = 0.0);
  // An optimizer-level variable "<optimizer>/<name>", appended to variables().
  Variable add_variable(const std::string& name, const Tensor& initial);
  // "optimizer 'adam' (Adam)", for messages.
  std::string describe() const;

 private:
  void check_step(const TensorList& grads, const std::vector<Variable>& vars, std::vector<std::size_t>& index) const;
  std::vector<double> clip_scales(const TensorList& grads, const std::vector<std::size_t>& active) const;
  void refresh_weight_decay_flags();

  std::string class_name_;
  std::string name_;
  OptimizerOptions options_;
  ScheduleRef schedule_;
  Variable iterations_;
  Variable learning_rate_;  // undefined with a schedule
  bool built_ = false;
  std::vector<Variable> vars_;
  std::vector<Variable> own_variables_;  // slots and the like, in creation order
  std::vector<bool> decay_;              // per built variable
  std::vector<std::string> exclude_names_;
  std::vector<Variable> exclude_vars_;
};
using OptimizerRef = std::shared_ptr<Optimizer>;

// By Keras name, case-insensitive ("adam", "SGD", "rmsprop", ...), with default options.
// ValueError listing the known names.
OptimizerRef get(const std::string& name);
// Keras's serialized form: {"module": "keras.optimizers", "class_name": "Adam",
// "config": get_config(), "registered_name": null}.
Json serialize(const Optimizer& optimizer);
// An optimizer from serialize()'s form (the class name is case-insensitive for the built-ins,
// as Keras's deserialize). Every field get_config() writes is required, except the base
// options Lamina does not implement (use_ema, ema_*, loss_scale_factor,
// gradient_accumulation_steps), which may be absent or hold their off values; unknown fields
// are ValueErrors. The result is unbuilt: its state comes from variables().
OptimizerRef optimizer_from_config(const Json& serialized);

// Rebuilds custom optimizer classes: `factory` gets the inner "config".
using OptimizerFactory = std::function<OptimizerRef(const Json& config)>;
void register_optimizer(const std::string& class_name, OptimizerFactory factory);
std::vector<std::string> registered_optimizers();  // sorted Keras class names

}  // namespace lamina::optimizers
