#include "lamina/train/schedules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numbers>

#include "lamina/core/error.hpp"
#include "train/optimizers/config_fields.hpp"

namespace lamina::optimizers {

using detail::ConfigFields;
using detail::require_option;

namespace {

// The checks every schedule shares; `who` is the class name.
void check_rate(const std::string& who, const char* option, double v) {
  require_option(std::isfinite(v) && v >= 0, who, option, v, "a finite number >= 0",
                 "learning rates cannot be negative");
}
void check_steps(const std::string& who, const char* option, std::int64_t v) {
  require_option(v > 0, who, option, static_cast<double>(v), "> 0");
}

// All arithmetic in double (Keras computes in the dtype of initial_learning_rate, float32).
class ExponentialDecaySchedule : public LearningRateSchedule {
 public:
  ExponentialDecaySchedule(double initial, std::int64_t steps, double rate, bool staircase, std::string name)
      : initial_(initial), steps_(steps), rate_(rate), staircase_(staircase), name_(std::move(name)) {
    check_rate("ExponentialDecay", "initial_learning_rate", initial);
    check_steps("ExponentialDecay", "decay_steps", steps);
    require_option(std::isfinite(rate) && rate > 0, "ExponentialDecay", "decay_rate", rate, "a finite number > 0");
  }
  double operator()(std::int64_t step) const override {
    double p = static_cast<double>(step) / static_cast<double>(steps_);
    if (staircase_) p = std::floor(p);
    return initial_ * std::pow(rate_, p);
  }
  Json get_config() const override {
    return {{"initial_learning_rate", initial_},
            {"decay_steps", steps_},
            {"decay_rate", rate_},
            {"staircase", staircase_},
            {"name", name_}};
  }
  std::string class_name() const override { return "ExponentialDecay"; }

 private:
  double initial_;
  std::int64_t steps_;
  double rate_;
  bool staircase_;
  std::string name_;
};

class PiecewiseConstantDecaySchedule : public LearningRateSchedule {
 public:
  PiecewiseConstantDecaySchedule(std::vector<std::int64_t> boundaries, std::vector<double> values, std::string name)
      : boundaries_(std::move(boundaries)), values_(std::move(values)), name_(std::move(name)) {
    if (values_.size() != boundaries_.size() + 1)
      throw ValueError(
          {.problem = "PiecewiseConstantDecay: values needs one entry more than boundaries",
           .expected = fmt::format("{} values for {} boundaries", boundaries_.size() + 1, boundaries_.size()),
           .found = fmt::format("{} values", values_.size()),
           .hint = "values[i] is the rate up to boundaries[i]; the last one applies after the last boundary"});
    for (std::size_t i = 1; i < boundaries_.size(); ++i)
      if (boundaries_[i] <= boundaries_[i - 1])
        throw ValueError({.problem = "PiecewiseConstantDecay: boundaries must be strictly increasing",
                          .expected = "boundaries[i-1] < boundaries[i]",
                          .found = fmt::format("boundaries[{}] = {} after boundaries[{}] = {}", i, boundaries_[i],
                                               i - 1, boundaries_[i - 1])});
    for (double v : values_) check_rate("PiecewiseConstantDecay", "each of values", v);
  }
  double operator()(std::int64_t step) const override {
    // The first boundary >= step holds the interval (Keras: values[i] while b[i-1] < step <= b[i]).
    auto it = std::lower_bound(boundaries_.begin(), boundaries_.end(), step);
    return values_[static_cast<std::size_t>(it - boundaries_.begin())];
  }
  Json get_config() const override { return {{"boundaries", boundaries_}, {"values", values_}, {"name", name_}}; }
  std::string class_name() const override { return "PiecewiseConstantDecay"; }

 private:
  std::vector<std::int64_t> boundaries_;
  std::vector<double> values_;
  std::string name_;
};

class CosineDecaySchedule : public LearningRateSchedule {
 public:
  CosineDecaySchedule(double initial, std::int64_t steps, double alpha, std::optional<double> warmup_target,
                      std::int64_t warmup_steps, std::string name)
      : initial_(initial),
        steps_(steps),
        alpha_(alpha),
        warmup_target_(warmup_target),
        warmup_steps_(warmup_steps),
        name_(std::move(name)) {
    check_rate("CosineDecay", "initial_learning_rate", initial);
    check_steps("CosineDecay", "decay_steps", steps);
    require_option(alpha >= 0 && alpha <= 1, "CosineDecay", "alpha", alpha, "in [0, 1]",
                   "alpha is the final rate as a fraction of the decay's starting rate");
    if (warmup_target) check_rate("CosineDecay", "warmup_target", *warmup_target);
    require_option(warmup_steps >= 0, "CosineDecay", "warmup_steps", static_cast<double>(warmup_steps), ">= 0");
  }
  double operator()(std::int64_t step) const override {
    double s = static_cast<double>(step), ds = static_cast<double>(steps_);
    if (!warmup_target_) return decay(std::min(s, ds), initial_);
    double ws = static_cast<double>(warmup_steps_);
    s = std::min(s, ds + ws);
    if (s < ws) return (*warmup_target_ - initial_) * (s / ws) + initial_;
    return decay(s - ws, *warmup_target_);
  }
  Json get_config() const override {
    return {{"initial_learning_rate", initial_},
            {"decay_steps", steps_},
            {"alpha", alpha_},
            {"name", name_},
            {"warmup_target", detail::optional_json(warmup_target_)},
            {"warmup_steps", warmup_steps_}};
  }
  std::string class_name() const override { return "CosineDecay"; }

 private:
  double decay(double s, double from) const {
    double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * (s / static_cast<double>(steps_))));
    return from * ((1 - alpha_) * cosine + alpha_);
  }
  double initial_;
  std::int64_t steps_;
  double alpha_;
  std::optional<double> warmup_target_;
  std::int64_t warmup_steps_;
  std::string name_;
};

class PolynomialDecaySchedule : public LearningRateSchedule {
 public:
  PolynomialDecaySchedule(double initial, std::int64_t steps, double end, double power, bool cycle, std::string name)
      : initial_(initial), steps_(steps), end_(end), power_(power), cycle_(cycle), name_(std::move(name)) {
    check_rate("PolynomialDecay", "initial_learning_rate", initial);
    check_steps("PolynomialDecay", "decay_steps", steps);
    check_rate("PolynomialDecay", "end_learning_rate", end);
    require_option(std::isfinite(power) && power >= 0, "PolynomialDecay", "power", power, "a finite number >= 0");
  }
  double operator()(std::int64_t step) const override {
    double s = static_cast<double>(step), ds = static_cast<double>(steps_);
    if (cycle_)
      ds *= s == 0 ? 1.0 : std::ceil(s / ds);
    else
      s = std::min(s, ds);
    return (initial_ - end_) * std::pow(1 - s / ds, power_) + end_;
  }
  Json get_config() const override {
    return {{"initial_learning_rate", initial_},
            {"decay_steps", steps_},
            {"end_learning_rate", end_},
            {"power", power_},
            {"cycle", cycle_},
            {"name", name_}};
  }
  std::string class_name() const override { return "PolynomialDecay"; }

 private:
  double initial_;
  std::int64_t steps_;
  double end_, power_;
  bool cycle_;
  std::string name_;
};

class InverseTimeDecaySchedule : public LearningRateSchedule {
 public:
  InverseTimeDecaySchedule(double initial, std::int64_t steps, double rate, bool staircase, std::string name)
      : initial_(initial), steps_(steps), rate_(rate), staircase_(staircase), name_(std::move(name)) {
    check_rate("InverseTimeDecay", "initial_learning_rate", initial);
    check_steps("InverseTimeDecay", "decay_steps", steps);
    require_option(std::isfinite(rate) && rate >= 0, "InverseTimeDecay", "decay_rate", rate, "a finite number >= 0");
  }
  double operator()(std::int64_t step) const override {
    double p = static_cast<double>(step) / static_cast<double>(steps_);
    if (staircase_) p = std::floor(p);
    return initial_ / (1.0 + rate_ * p);
  }
  Json get_config() const override {
    return {{"initial_learning_rate", initial_},
            {"decay_steps", steps_},
            {"decay_rate", rate_},
            {"staircase", staircase_},
            {"name", name_}};
  }
  std::string class_name() const override { return "InverseTimeDecay"; }

 private:
  double initial_;
  std::int64_t steps_;
  double rate_;
  bool staircase_;
  std::string name_;
};

class CosineDecayRestartsSchedule : public LearningRateSchedule {
 public:
  CosineDecayRestartsSchedule(double initial, std::int64_t first_steps, double t_mul, double m_mul, double alpha,
                              std::string name)
      : initial_(initial),
        first_steps_(first_steps),
        t_mul_(t_mul),
        m_mul_(m_mul),
        alpha_(alpha),
        name_(std::move(name)) {
    check_rate("CosineDecayRestarts", "initial_learning_rate", initial);
    check_steps("CosineDecayRestarts", "first_decay_steps", first_steps);
    require_option(std::isfinite(t_mul) && t_mul > 0, "CosineDecayRestarts", "t_mul", t_mul, "a finite number > 0");
    require_option(std::isfinite(m_mul) && m_mul >= 0, "CosineDecayRestarts", "m_mul", m_mul, "a finite number >= 0");
    require_option(alpha >= 0 && alpha <= 1, "CosineDecayRestarts", "alpha", alpha, "in [0, 1]");
  }
  double operator()(std::int64_t step) const override {
    double fraction = static_cast<double>(step) / static_cast<double>(first_steps_);
    double restart;
    if (t_mul_ == 1.0) {
      restart = std::floor(fraction);
      fraction -= restart;
    } else {
      // Periods grow geometrically: restart i starts at (1 - t_mul^i) / (1 - t_mul).
      restart = std::floor(std::log(1.0 - fraction * (1.0 - t_mul_)) / std::log(t_mul_));
      double start = (1.0 - std::pow(t_mul_, restart)) / (1.0 - t_mul_);
      fraction = (fraction - start) / std::pow(t_mul_, restart);
    }
    double cosine = 0.5 * std::pow(m_mul_, restart) * (1.0 + std::cos(std::numbers::pi * fraction));
    return initial_ * ((1 - alpha_) * cosine + alpha_);
  }
  Json get_config() const override {
    return {{"initial_learning_rate", initial_},
            {"first_decay_steps", first_steps_},
            {"t_mul", t_mul_},
            {"m_mul", m_mul_},
            {"alpha", alpha_},
            {"name", name_}};
  }
  std::string class_name() const override { return "CosineDecayRestarts"; }

 private:
  double initial_;
  std::int64_t first_steps_;
  double t_mul_, m_mul_, alpha_;
  std::string name_;
};

// ---- registry -----------------------------------------------------------------------------

std::vector<double> numbers(ConfigFields& f, const std::string& field) {
  const Json& v = f.at(field);
  std::vector<double> out;
  if (!v.is_array()) f.fail(field, "is not a list", "a list of numbers");
  for (const auto& x : v) {
    if (!x.is_number()) f.fail(field, "has an entry that is not a number", "a list of numbers");
    out.push_back(x.get<double>());
  }
  return out;
}

std::vector<std::int64_t> integers(ConfigFields& f, const std::string& field) {
  const Json& v = f.at(field);
  std::vector<std::int64_t> out;
  if (!v.is_array()) f.fail(field, "is not a list", "a list of integers");
  for (const auto& x : v) {
    if (!x.is_number_integer()) f.fail(field, "has an entry that is not an integer", "a list of integers");
    out.push_back(x.get<std::int64_t>());
  }
  return out;
}

template <class Build>
ScheduleRef read(const Json& config, const char* class_name, Build build) {
  ConfigFields f(config, class_name);
  auto s = build(f);
  f.finish();
  return s;
}

std::map<std::string, ScheduleFactory> builtin_schedules() {
  std::map<std::string, ScheduleFactory> m;
  m["ExponentialDecay"] = [](const Json& c) {
    return read(c, "ExponentialDecay", [](ConfigFields& f) {
      return std::make_shared<ExponentialDecaySchedule>(f.number("initial_learning_rate"), f.integer("decay_steps"),
                                                        f.number("decay_rate"), f.boolean("staircase"),
                                                        f.string("name"));
    });
  };
  m["PiecewiseConstantDecay"] = [](const Json& c) {
    return read(c, "PiecewiseConstantDecay", [](ConfigFields& f) {
      return std::make_shared<PiecewiseConstantDecaySchedule>(integers(f, "boundaries"), numbers(f, "values"),
                                                              f.string("name"));
    });
  };
  m["CosineDecay"] = [](const Json& c) {
    return read(c, "CosineDecay", [](ConfigFields& f) {
      return std::make_shared<CosineDecaySchedule>(f.number("initial_learning_rate"), f.integer("decay_steps"),
                                                   f.number("alpha"), f.optional_number("warmup_target"),
                                                   f.integer("warmup_steps"), f.string("name"));
    });
  };
  m["PolynomialDecay"] = [](const Json& c) {
    return read(c, "PolynomialDecay", [](ConfigFields& f) {
      return std::make_shared<PolynomialDecaySchedule>(f.number("initial_learning_rate"), f.integer("decay_steps"),
                                                       f.number("end_learning_rate"), f.number("power"),
                                                       f.boolean("cycle"), f.string("name"));
    });
  };
  m["InverseTimeDecay"] = [](const Json& c) {
    return read(c, "InverseTimeDecay", [](ConfigFields& f) {
      return std::make_shared<InverseTimeDecaySchedule>(f.number("initial_learning_rate"), f.integer("decay_steps"),
                                                        f.number("decay_rate"), f.boolean("staircase"),
                                                        f.string("name"));
    });
  };
  m["CosineDecayRestarts"] = [](const Json& c) {
    return read(c, "CosineDecayRestarts", [](ConfigFields& f) {
      return std::make_shared<CosineDecayRestartsSchedule>(f.number("initial_learning_rate"),
                                                           f.integer("first_decay_steps"), f.number("t_mul"),
                                                           f.number("m_mul"), f.number("alpha"), f.string("name"));
    });
  };
  return m;
}

std::mutex& registry_mutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, ScheduleFactory>& registry() {
  static std::map<std::string, ScheduleFactory> m = builtin_schedules();
  return m;
}
bool is_builtin(const std::string& class_name) {
  static const auto names = builtin_schedules();
  return names.count(class_name) > 0;
}

std::string known_list() {
  std::string out;
  for (const auto& n : registered_schedules()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

ScheduleRef ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                             bool staircase) {
  return std::make_shared<ExponentialDecaySchedule>(initial_learning_rate, decay_steps, decay_rate, staircase,
                                                    "ExponentialDecay");
}
ScheduleRef PiecewiseConstantDecay(std::vector<std::int64_t> boundaries, std::vector<double> values) {
  return std::make_shared<PiecewiseConstantDecaySchedule>(std::move(boundaries), std::move(values),
                                                          "PiecewiseConstant");
}
ScheduleRef CosineDecay(double initial_learning_rate, std::int64_t decay_steps, double alpha,
                        std::optional<double> warmup_target, std::int64_t warmup_steps) {
  return std::make_shared<CosineDecaySchedule>(initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps,
                                               "CosineDecay");
}
ScheduleRef PolynomialDecay(double initial_learning_rate, std::int64_t decay_steps, double end_learning_rate,
                            double power, bool cycle) {
  return std::make_shared<PolynomialDecaySchedule>(initial_learning_rate, decay_steps, end_learning_rate, power, cycle,
                                                   "PolynomialDecay");
}
ScheduleRef InverseTimeDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                             bool staircase) {
  return std::make_shared<InverseTimeDecaySchedule>(initial_learning_rate, decay_steps, decay_rate, staircase,
                                                    "InverseTimeDecay");
}
ScheduleRef CosineDecayRestarts(double initial_learning_rate, std::int64_t first_decay_steps, double t_mul,
                                double m_mul, double alpha) {
  return std::make_shared<CosineDecayRestartsSchedule>(initial_learning_rate, first_decay_steps, t_mul, m_mul, alpha,
                                                       "SGDRDecay");
}

Json serialize(const LearningRateSchedule& schedule) {
  std::string name = schedule.class_name();
  bool builtin = is_builtin(name);
  return {{"module", builtin ? Json("keras.optimizers.schedules") : Json(nullptr)},
          {"class_name", name},
          {"config", schedule.get_config()},
          {"registered_name", builtin ? Json(nullptr) : Json(name)}};
}

ScheduleRef schedule_from_config(const Json& serialized) {
  if (!serialized.is_object() || !serialized.contains("class_name") || !serialized["class_name"].is_string() ||
      !serialized.contains("config") || !serialized["config"].is_object())
    throw ValueError(
        {.problem = "a learning-rate schedule config needs a string \"class_name\" and an object \"config\"",
         .expected = R"({"class_name": "ExponentialDecay", "config": {...}}, as serialize() writes)",
         .found = serialized.dump().substr(0, 120)});
  std::string name = serialized["class_name"].get<std::string>();
  ScheduleFactory factory;
  {
    std::lock_guard lock(registry_mutex());
    auto it = registry().find(name);
    if (it != registry().end()) factory = it->second;
  }
  if (!factory)
    throw ValueError({.problem = "unknown learning-rate schedule class '" + name + "'",
                      .expected = "one of " + known_list(),
                      .found = "'" + name + "'",
                      .hint = name == "custom"
                                  ? "a custom schedule needs class_name() and register_schedule() to be rebuilt"
                                  : "register custom schedules with register_schedule()"});
  try {
    ScheduleRef s = factory(serialized["config"]);
    if (!s)
      throw ValueError({.problem = "the factory registered for schedule class '" + name + "' returned no schedule",
                        .expected = "a schedule",
                        .found = "a null ScheduleRef"});
    return s;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw ValueError({.problem = "rebuilding schedule class '" + name + "' failed: " + e.what(),
                      .expected = "a config the schedule accepts",
                      .found = serialized["config"].dump().substr(0, 120)});
  }
}

void register_schedule(const std::string& class_name, ScheduleFactory factory) {
  if (class_name.empty() || class_name == "custom" || !factory)
    throw ValueError({.op = "register_schedule",
                      .problem = "a schedule factory needs a class name and a callable",
                      .expected = "a non-empty name other than \"custom\" and a non-empty factory",
                      .found = class_name.empty() ? "an empty name" : "'" + class_name + "'"});
  std::lock_guard lock(registry_mutex());
  registry()[class_name] = std::move(factory);
}

std::vector<std::string> registered_schedules() {
  std::lock_guard lock(registry_mutex());
  std::vector<std::string> out;
  for (const auto& [k, v] : registry()) out.push_back(k);
  return out;
}

}  // namespace lamina::optimizers
