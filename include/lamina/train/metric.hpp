#pragma once
// Metric: stateful, running over an epoch, as Keras 3 (docs/losses-and-metrics.md).
//
//   auto acc = lm::metrics::SparseCategoricalAccuracy();
//   acc->update_state(y_true, y_pred);        // each batch
//   double value = acc->result();             // running value since reset_state()
//
// Unlike Keras, metrics honour y_pred's mask: masked entries do not count (whatever they
// hold), so a sequence output's accuracy is per valid timestep. state() returns the raw
// accumulators so several processes can add theirs with merge_state().
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina {
using Json = nlohmann::json;
}

namespace lamina::metrics {

class Metric {
 public:
  // `type` is the Keras class name ("SparseCategoricalAccuracy"), `name` the metric name.
  Metric(std::string type, std::string name);
  virtual ~Metric();
  Metric(const Metric&) = delete;
  Metric& operator=(const Metric&) = delete;

  virtual void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) = 0;
  virtual double result() const = 0;
  virtual void reset_state() = 0;
  // The raw accumulators ({total, count}, or confusion counts); merge_state adds another
  // metric's state() of the same kind and size (ValueError otherwise).
  virtual std::vector<double> state() const = 0;
  virtual void merge_state(const std::vector<double>& other) = 0;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  const std::string& type() const { return type_; }
  // {"type", "name", "dtype": "float32"} plus the metric's options.
  virtual Json get_config() const;

 protected:
  std::string context() const;  // "metric 'accuracy'", the error context of updates
  void check_state(const std::vector<double>& other, std::size_t size) const;

 private:
  std::string type_;
  std::string name_;
};

using MetricRef = std::shared_ptr<Metric>;

// A running weighted mean, as Keras's Mean and MeanMetricWrapper: result = total / count
// (0 before any update). Entries are weighted by sample_weight and masked entries skipped.
class MeanMetric : public Metric {
 public:
  MeanMetric(std::string type, std::string name);

  // Adds `values` (its own mask honoured): each sample -- each (sample, timestep) when the
  // mask or sample_weight has that rank -- counts once with its weight, its value the mean
  // of its remaining axes. sample_weight: scalar, (batch,) or (batch, timesteps, ...).
  void update(const Tensor& values, const Tensor& sample_weight = {});
  void update(double value, double weight = 1.0);

  // Metric wrappers: values(y_true, y_pred) then update(). The plain Mean raises
  // ValueError here: it takes values through update().
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) override;
  double result() const override;
  void reset_state() override;
  std::vector<double> state() const override;  // {total, count}
  void merge_state(const std::vector<double>& other) override;

 protected:
  // One value per entry of y_pred (or of the loss), carrying y_pred's mask.
  virtual Tensor values(const Tensor& y_true, const Tensor& y_pred) const;

 private:
  double total_ = 0;
  double count_ = 0;
};

using MeanRef = std::shared_ptr<MeanMetric>;

}  // namespace lamina::metrics
