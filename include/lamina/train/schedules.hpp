#pragma once
// Learning-rate schedules (Keras 3's keras.optimizers.schedules): the rate as a function of
// the optimizer step, i.e. Optimizer::iterations() before the step is applied (0 first).
//
//   auto lr = lm::optimizers::ExponentialDecay(0.1, 1000, 0.96, /*staircase=*/true);
//   auto opt = lm::optimizers::SGD(lr);
//
// Configs are Keras's: get_config() holds the schedule's arguments (and its "name"), and
// serialize() wraps them as {"module", "class_name", "config", "registered_name"}, the form
// an optimizer's "learning_rate" field holds and schedule_from_config() reads.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lamina {
using Json = nlohmann::json;
}

namespace lamina::optimizers {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  // The rate for `step` (0-based optimizer iteration).
  virtual double operator()(std::int64_t step) const = 0;
  // Keras's config: the constructor arguments by their Keras names.
  virtual Json get_config() const = 0;
  // Keras class name written by serialize(); a custom schedule overrides it and registers a
  // factory with register_schedule() to be rebuildable ("custom" cannot be rebuilt).
  virtual std::string class_name() const { return "custom"; }
};
using ScheduleRef = std::shared_ptr<const LearningRateSchedule>;

// initial_learning_rate * decay_rate ^ (step / decay_steps); with staircase the exponent is
// floor(step / decay_steps). decay_steps > 0, decay_rate > 0.
ScheduleRef ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                             bool staircase = false);
// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
// values.back() after the last boundary. Boundaries strictly increasing, one value more.
ScheduleRef PiecewiseConstantDecay(std::vector<std::int64_t> boundaries, std::vector<double> values);
// Cosine decay from the initial rate (or from warmup_target after a linear warmup of
// warmup_steps from initial_learning_rate) to alpha times it over decay_steps, then constant.
// Without warmup_target, warmup_steps is ignored (as in Keras).
ScheduleRef CosineDecay(double initial_learning_rate, std::int64_t decay_steps, double alpha = 0.0,
                        std::optional<double> warmup_target = {}, std::int64_t warmup_steps = 0);
// (initial - end) * (1 - step / decay_steps) ^ power + end, the step clamped at decay_steps;
// with cycle, decay_steps is multiplied by ceil(step / decay_steps) instead (1 at step 0).
ScheduleRef PolynomialDecay(double initial_learning_rate, std::int64_t decay_steps, double end_learning_rate = 0.0001,
                            double power = 1.0, bool cycle = false);
// initial_learning_rate / (1 + decay_rate * step / decay_steps) (floor of the ratio with staircase).
ScheduleRef InverseTimeDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                             bool staircase = false);
// SGDR: cosine decay over first_decay_steps, then warm restarts, each t_mul times longer and
// starting at m_mul times the previous period's initial rate.
ScheduleRef CosineDecayRestarts(double initial_learning_rate, std::int64_t first_decay_steps, double t_mul = 2.0,
                                double m_mul = 1.0, double alpha = 0.0);

// {"module": "keras.optimizers.schedules", "class_name": ..., "config": get_config(), "registered_name": null}
Json serialize(const LearningRateSchedule& schedule);
// A schedule from serialize()'s form. ValueError for an unknown class (listing the known ones),
// a missing, mistyped or unknown field, or a value the schedule refuses.
ScheduleRef schedule_from_config(const Json& serialized);

// Rebuilds custom schedules: `factory` gets the inner "config".
using ScheduleFactory = std::function<ScheduleRef(const Json& config)>;
void register_schedule(const std::string& class_name, ScheduleFactory factory);
std::vector<std::string> registered_schedules();  // sorted

}  // namespace lamina::optimizers
