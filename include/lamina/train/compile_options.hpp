#pragma once
// What model.compile() takes: the optimizer, the loss (per output for multi-output models),
// loss weights and metrics, each by Keras name or as an object.
//
//   model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
//   model.compile({.optimizer = lm::optimizers::Adam(1e-3),
//                  .loss = {{"label", "sparse_categorical_crossentropy"}, {"score", "mse"}},
//                  .loss_weights = {{"label", 1.0}, {"score", 0.5}},
//                  .metrics = {{"label", {"accuracy"}}}});
#include <concepts>
#include <initializer_list>
#include <type_traits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lamina {
namespace losses {
class Loss;
using LossRef = std::shared_ptr<const Loss>;
}  // namespace losses
namespace metrics {
class Metric;
using MetricRef = std::shared_ptr<Metric>;
}  // namespace metrics
namespace optimizers {
class Optimizer;
using OptimizerRef = std::shared_ptr<Optimizer>;
}  // namespace optimizers

// A name ("adam") or an object.
class OptimizerArg {
 public:
  OptimizerArg(const char* name) : value_(std::string(name)) {}
  template <class S>
  requires std::same_as<std::remove_cvref_t<S>, std::string> OptimizerArg(S&& name) : value_(std::string(name)) {}
  OptimizerArg(optimizers::OptimizerRef optimizer) : value_(std::move(optimizer)) {}
  const std::variant<std::string, optimizers::OptimizerRef>& value() const { return value_; }

 private:
  std::variant<std::string, optimizers::OptimizerRef> value_;
};

class LossArg {
 public:
  LossArg(const char* name) : value_(std::string(name)) {}
  template <class S>
  requires std::same_as<std::remove_cvref_t<S>, std::string> LossArg(S&& name) : value_(std::string(name)) {}
  LossArg(losses::LossRef loss) : value_(std::move(loss)) {}
  const std::variant<std::string, losses::LossRef>& value() const { return value_; }

 private:
  std::variant<std::string, losses::LossRef> value_;
};

class MetricArg {
 public:
  MetricArg(const char* name) : value_(std::string(name)) {}
  template <class S>
  requires std::same_as<std::remove_cvref_t<S>, std::string> MetricArg(S&& name) : value_(std::string(name)) {}
  MetricArg(metrics::MetricRef metric) : value_(std::move(metric)) {}
  const std::variant<std::string, metrics::MetricRef>& value() const { return value_; }

 private:
  std::variant<std::string, metrics::MetricRef> value_;
};

// One loss for every output, one per output in output order, or by output name.
class LossConfig {
 public:
  LossConfig() = default;
  LossConfig(const char* name) : single_(LossArg(name)) {}
  template <class S>
  requires std::same_as<std::remove_cvref_t<S>, std::string> LossConfig(S&& name) : single_(LossArg(std::string(name))) {}
  LossConfig(losses::LossRef loss) : single_(LossArg(std::move(loss))) {}
  LossConfig(std::initializer_list<LossArg> per_output) : list_(per_output) {}
  LossConfig(std::vector<LossArg> per_output) : list_(std::move(per_output)) {}
  LossConfig(std::map<std::string, LossArg> by_name) : by_name_(std::move(by_name)) {}
  // {{"output_a", "mse"}, {"output_b", "mae"}}
  LossConfig(std::initializer_list<std::pair<std::string, LossArg>> by_name) : by_name_(by_name.begin(), by_name.end()) {}

  bool empty() const { return !single_ && list_.empty() && by_name_.empty(); }
  const std::optional<LossArg>& single() const { return single_; }
  const std::vector<LossArg>& list() const { return list_; }
  const std::map<std::string, LossArg>& by_name() const { return by_name_; }

 private:
  std::optional<LossArg> single_;
  std::vector<LossArg> list_;
  std::map<std::string, LossArg> by_name_;
};

// Metrics for every output (a flat list), or by output name.
class MetricsConfig {
 public:
  MetricsConfig() = default;
  MetricsConfig(std::initializer_list<MetricArg> all_outputs) : all_(all_outputs) {}
  MetricsConfig(std::vector<MetricArg> all_outputs) : all_(std::move(all_outputs)) {}
  MetricsConfig(std::map<std::string, std::vector<MetricArg>> by_name) : by_name_(std::move(by_name)) {}
  // {{"output_a", {"accuracy"}}, {"output_b", {"mae", "mse"}}}
  MetricsConfig(std::initializer_list<std::pair<std::string, std::vector<MetricArg>>> by_name)
      : by_name_(by_name.begin(), by_name.end()) {}

  bool empty() const { return all_.empty() && by_name_.empty(); }
  const std::vector<MetricArg>& all_outputs() const { return all_; }
  const std::map<std::string, std::vector<MetricArg>>& by_name() const { return by_name_; }

 private:
  std::vector<MetricArg> all_;
  std::map<std::string, std::vector<MetricArg>> by_name_;
};

class LossWeights {
 public:
  LossWeights() = default;
  LossWeights(std::initializer_list<double> per_output) : list_(per_output) {}
  LossWeights(std::map<std::string, double> by_name) : by_name_(std::move(by_name)) {}
  LossWeights(std::initializer_list<std::pair<std::string, double>> by_name) : by_name_(by_name.begin(), by_name.end()) {}
  bool empty() const { return list_.empty() && by_name_.empty(); }
  const std::vector<double>& list() const { return list_; }
  const std::map<std::string, double>& by_name() const { return by_name_; }

 private:
  std::vector<double> list_;
  std::map<std::string, double> by_name_;
};

struct CompileOptions {
  OptimizerArg optimizer = "rmsprop";  // Keras's default
  LossConfig loss;
  LossWeights loss_weights;
  MetricsConfig metrics;           // honour the output mask; not weighted by sample weights
  MetricsConfig weighted_metrics;  // also weighted by sample_weight and class_weight
};

}  // namespace lamina
