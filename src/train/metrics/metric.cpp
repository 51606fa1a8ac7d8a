// Metric base, the running weighted mean, and the host-side helpers the metrics share.
#include "lamina/train/metric.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/mask.hpp"
#include "lamina/ops/shape.hpp"
#include "lamina/train/metrics.hpp"
#include "train/metrics/metric_support.hpp"

namespace lamina::metrics {

namespace detail {

std::vector<double> host(const Tensor& t) { return t.without_mask().to_vector<double>(); }

std::vector<double> valid(const Tensor& y) {
  if (!y.has_mask()) return std::vector<double>(static_cast<std::size_t>(y.numel()), 1.0);
  return host(full_mask(y));
}

std::vector<double> weights_for(const Tensor& sample_weight, const Shape& target, const std::string& metric) {
  if (!sample_weight.defined()) return {};
  Tensor w = sample_weight.without_mask();
  if (w.rank() == target.rank() + 1 && w.dim(-1) == 1) w = squeeze(w, {-1});
  bool fits = w.rank() <= target.rank();
  for (std::int64_t a = 0; fits && a < w.rank(); ++a) fits = w.shape()[a] == 1 || w.shape()[a] == target[a];
  if (!fits)
    throw ShapeError(
        {.problem = fmt::format("sample_weight does not fit the values of metric '{}'", metric),
         .expected = fmt::format("sample_weight of shape (batch,) or (batch, ...) leading {}", target.str()),
         .found = fmt::format("sample_weight {}", sample_weight.shape().str()),
         .hint = "give one weight per sample, (batch,), or per sample and timestep, (batch, timesteps)"});
  while (w.rank() < target.rank()) w = expand_dims(w, -1);
  return host(broadcast_to(w, target));
}

}  // namespace detail

Metric::Metric(std::string type, std::string name) : type_(std::move(type)), name_(std::move(name)) {}
Metric::~Metric() = default;

std::string Metric::context() const { return fmt::format("metric '{}'", name_); }

Json Metric::get_config() const { return Json{{"type", type_}, {"name", name_}, {"dtype", "float32"}}; }

void Metric::check_state(const std::vector<double>& other, std::size_t size) const {
  if (other.size() != size)
    throw ValueError({.problem = fmt::format("metric '{}': merge_state got a state of the wrong size", name_),
                      .expected = fmt::format("{} accumulators (what state() of a {} returns)", size, type_),
                      .found = fmt::format("{} values", other.size()),
                      .hint = "merge only the states of metrics of the same type and options"});
}

MeanMetric::MeanMetric(std::string type, std::string name) : Metric(std::move(type), std::move(name)) {}

void MeanMetric::update(const Tensor& values, const Tensor& sample_weight) {
  NoteScope scope(context());
  ::lamina::detail::PauseRecording pause;  // metrics are never differentiated
  if (!values.defined() || values.is_symbolic() || (sample_weight.defined() && sample_weight.is_symbolic()))
    throw ValueError({.problem = fmt::format("metric '{}' needs concrete values", name()),
                      .expected = "a tensor with values",
                      .found = !values.defined() ? "an undefined tensor" : "a symbolic tensor",
                      .hint = "update metrics with the batch's actual outputs"});
  const Shape& s = values.shape();
  std::int64_t weight_rank = 0;
  if (sample_weight.defined()) {
    weight_rank = sample_weight.rank();
    if (weight_rank == s.rank() + 1 && sample_weight.dim(-1) == 1) --weight_rank;
  }
  // The unit that counts once: a sample, or a (sample, timestep) when the mask or the
  // weights go that deep. Its value is the mean over the axes after it.
  std::int64_t unit_rank = std::max({values.has_mask() ? values.mask_rank() : 0, weight_rank, s.rank() > 0 ? 1L : 0L});
  unit_rank = std::min(unit_rank, s.rank());
  if (sample_weight.defined() && weight_rank > s.rank()) unit_rank = s.rank();  // weights_for reports it
  Shape unit_shape = s.prefix(unit_rank);
  std::int64_t units = unit_shape.numel();
  std::vector<double> w = detail::weights_for(sample_weight, unit_shape, name());
  if (units == 0) return;
  std::int64_t inner = s.numel() / units;
  if (inner == 0) return;
  std::vector<double> v = detail::host(values), ok = detail::valid(values);
  for (std::int64_t i = 0; i < units; ++i) {
    std::size_t first = static_cast<std::size_t>(i * inner);
    double weight = w.empty() ? 1.0 : w[static_cast<std::size_t>(i)];
    if (ok[first] == 0 || weight == 0) continue;  // skipped, never multiplied by 0: padding may be NaN
    double m = 0;
    for (std::int64_t j = 0; j < inner; ++j) m += v[first + static_cast<std::size_t>(j)];
    total_ += weight * (m / static_cast<double>(inner));
    count_ += weight;
  }
}

void MeanMetric::update(double value, double weight) {
  if (weight == 0) return;
  total_ += value * weight;
  count_ += weight;
}

Tensor MeanMetric::values(const Tensor&, const Tensor&) const {
  throw ValueError({.problem = fmt::format("metric '{}' ({}) takes values, not (y_true, y_pred)", name(), type()),
                    .expected = "mean->update(values, sample_weight)",
                    .found = "update_state(y_true, y_pred)",
                    .hint = "a Mean averages what you give it: call update()"});
}

void MeanMetric::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  Tensor v;
  {
    NoteScope scope(context());
    ::lamina::detail::PauseRecording pause;
    if (!y_true.defined() || !y_pred.defined())
      throw ValueError({.problem = fmt::format("metric '{}' needs both y_true and y_pred", name()),
                        .expected = "two defined tensors",
                        .found = !y_true.defined() ? "an undefined y_true" : "an undefined y_pred",
                        .hint = "pass the targets and the model's outputs"});
    v = values(y_true, y_pred);
  }
  update(v, sample_weight);
}

double MeanMetric::result() const { return count_ == 0 ? 0.0 : total_ / count_; }

void MeanMetric::reset_state() { total_ = count_ = 0; }

std::vector<double> MeanMetric::state() const { return {total_, count_}; }

void MeanMetric::merge_state(const std::vector<double>& other) {
  check_state(other, 2);
  total_ += other[0];
  count_ += other[1];
}

MeanRef Mean(std::string name) { return std::make_shared<MeanMetric>("Mean", std::move(name)); }

}  // namespace lamina::metrics
