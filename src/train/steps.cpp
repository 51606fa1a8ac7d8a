// One training, test or predict step on one batch.
#include "train/steps.hpp"

#include "lamina/train/metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "lamina/autograd/tape.hpp"
#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/ops/cast.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/reduce.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::train {

namespace {

// Whether every valid (unmasked) entry of a concrete tensor is finite; integers always are.
bool all_finite(const Tensor& t) {
  if (!t.defined() || t.is_symbolic() || !is_floating(t.dtype())) return true;
  const std::int64_t n = t.numel();
  if (n == 0) return true;
  std::vector<bool> valid;
  std::int64_t inner = n;
  if (t.has_mask()) {
    auto m = t.mask().to_vector<bool>();
    inner = m.empty() ? 0 : n / static_cast<std::int64_t>(m.size());
    valid.assign(m.begin(), m.end());
  }
  auto scan = [&](const auto* p) {
    for (std::int64_t i = 0; i < n; ++i)
      if (!std::isfinite(p[i]) && (valid.empty() || valid[static_cast<std::size_t>(i / inner)])) return false;
    return true;
  };
  return t.dtype() == Float32 ? scan(t.data<float>()) : scan(t.data<double>());
}

std::string step_label(const model::Step& step) {
  if (step.is_layer()) {
    auto* l = static_cast<const Layer*>(step.node->owner.get());
    return fmt::format("layer '{}' ({})", l->name(), l->type());
  }
  if (step.is_input()) return fmt::format("model input '{}'", step.node->name);
  return fmt::format("op '{}'", step.node->op);
}

}  // namespace

Steps::Steps(ModelLayer& model, TrainState& state) : model_(model), state_(state) {
  state_.output_loss.resize(state_.outputs.size());
}

void Steps::reset() {
  state_.loss = {};
  for (auto& l : state_.output_loss) l = {};
  for (auto& o : state_.outputs) {
    for (auto& m : o.metrics) m->reset_state();
    for (auto& m : o.weighted_metrics) m->reset_state();
  }
}

void Steps::check_targets(const Batch& batch) const {
  if (batch.y.size() != state_.outputs.size())
    throw ValueError({.problem = "the targets do not match the model's outputs",
                      .expected = fmt::format("{} target tensor(s), one per output ({})", state_.outputs.size(),
                                              fmt::join(model_.output_names(), ", ")),
                      .found = fmt::format("{} target tensor(s)", batch.y.size()),
                      .hint = "pass y as one tensor per output, in order or by output name"});
}

Tensor Steps::total_loss(const TensorList& y_true, const TensorList& y_pred, const Tensor& sample_weight,
                         std::vector<double>& per_output) {
  Tensor total;
  per_output.assign(state_.outputs.size(), 0.0);
  for (std::size_t i = 0; i < state_.outputs.size(); ++i) {
    const auto& o = state_.outputs[i];
    if (!o.loss) continue;
    NoteScope note(fmt::format("loss '{}' of output '{}'", o.loss->name(), o.name));
    Tensor li = (*o.loss)(y_true[i], y_pred[i], sample_weight);
    per_output[i] = li.item<double>();
    Tensor weighted = o.loss_weight == 1.0 ? li : li * o.loss_weight;
    total = total.defined() ? total + weighted : weighted;
  }
  if (!total.defined())
    throw ValueError({.problem = "no output has a loss",
                      .expected = "a loss for at least one output",
                      .found = "compile() was given no loss",
                      .hint = "compile with a loss: model.compile({.optimizer = \"adam\", .loss = \"mse\"})"});
  return total;
}

void Steps::resolve_metrics(const TensorList& y_true, const TensorList& y_pred) {
  const bool multi = state_.outputs.size() > 1;
  std::set<std::string> taken{"loss"};
  for (std::size_t i = 0; i < state_.outputs.size(); ++i)
    if (multi) taken.insert(state_.outputs[i].name + "_loss");
  for (std::size_t i = 0; i < state_.outputs.size(); ++i) {
    auto& o = state_.outputs[i];
    if (o.metrics_resolved) continue;
    auto make = [&](const MetricArg& arg, bool weighted) {
      metrics::MetricRef m;
      if (const auto* name = std::get_if<std::string>(&arg.value()))
        m = metrics::get(*name, y_true[i].spec(), y_pred[i].spec(), o.loss);
      else {
        auto given = std::get<metrics::MetricRef>(arg.value());
        if (!given)
          throw ValueError({.op = "compile",
                            .problem = "a metric is a null pointer",
                            .expected = "a metric name or object",
                            .found = "an empty MetricRef",
                            .hint = "create the metric before passing it"});
        // An object given for several outputs gets one copy per output (metrics hold state).
        m = multi ? metrics::metric_from_config(given->get_config()) : given;
      }
      std::string name = multi ? o.name + "_" + m->name() : m->name();
      if (weighted && taken.count(name)) name = (multi ? o.name + "_weighted_" : "weighted_") + m->name();
      for (int k = 1; taken.count(name); ++k) name = fmt::format("{}_{}", name, k);
      taken.insert(name);
      o.metric_names.push_back(name);
      return m;
    };
    o.metrics.clear();
    o.weighted_metrics.clear();
    o.metric_names.clear();
    for (const auto& a : o.metric_args) o.metrics.push_back(make(a, false));
    for (const auto& a : o.weighted_metric_args) o.weighted_metrics.push_back(make(a, true));
    o.metrics_resolved = true;
  }
}

void Steps::update_metrics(const TensorList& y_true, const TensorList& y_pred, const Tensor& sample_weight) {
  detail::PauseRecording pause;  // metrics are not part of the gradient
  resolve_metrics(y_true, y_pred);
  for (std::size_t i = 0; i < state_.outputs.size(); ++i) {
    auto& o = state_.outputs[i];
    for (auto& m : o.metrics) m->update_state(y_true[i], y_pred[i]);
    for (auto& m : o.weighted_metrics) m->update_state(y_true[i], y_pred[i], sample_weight);
  }
}

void require_one_output_for_class_weight(std::size_t outputs) {
  if (outputs != 1)
    throw ValueError({.op = "fit",
                      .problem = "class_weight is only supported for models with one output",
                      .expected = "a single-output model",
                      .found = fmt::format("{} outputs", outputs),
                      .hint = "pass per-sample weights with sample_weight instead"});
}

bool Steps::train(const Batch& batch, const ClassWeights& class_weight) {
  if (dist_) return train_sharded(batch, class_weight);
  check_targets(batch);
  const double n = batch.x.empty() ? 0.0 : static_cast<double>(batch.x[0].dim(0));
  Tensor sw = batch.sample_weight;
  if (!class_weight.empty()) {
    require_one_output_for_class_weight(state_.outputs.size());
    sw = combine_weights(sw, class_weight_tensor(class_weight, batch.y[0]));
  }
  std::vector<Variable> vars = model_.trainable_weights();
  TensorList y_pred;
  Tensor loss;
  std::vector<double> per_output;
  std::vector<std::optional<Tensor>> grads;
  {
    GradientTape tape;
    y_pred = model_.run(batch.x, /*training=*/true);
    loss = total_loss(batch.y, y_pred, sw, per_output);
    double value = loss.item<double>();
    if (!std::isfinite(value)) {
      non_finite_report_ = diagnose(batch, value);
      state_.loss.add(value, n);
      return false;
    }
    if (!state_.gradients_checked) {
      NoteScope note("fit: checking that every trainable weight gets a gradient");
      tape.require_gradients(loss, vars);
      state_.gradients_checked = true;
    }
    grads = tape.gradient(loss, vars);
  }
  TensorList g;
  g.reserve(grads.size());
  for (auto& gi : grads) g.push_back(gi ? *gi : Tensor());
  state_.optimizer->apply_gradients(g, vars);
  state_.loss.add(loss.item<double>(), n);
  for (std::size_t i = 0; i < per_output.size(); ++i) state_.output_loss[i].add(per_output[i], n);
  update_metrics(batch.y, y_pred, sw);
  return true;
}

void Steps::test(const Batch& batch) {
  if (dist_) return test_sharded(batch);
  check_targets(batch);
  detail::PauseRecording pause;
  const double n = batch.x.empty() ? 0.0 : static_cast<double>(batch.x[0].dim(0));
  TensorList y_pred = model_.run(batch.x, /*training=*/false);
  std::vector<double> per_output;
  Tensor loss = total_loss(batch.y, y_pred, batch.sample_weight, per_output);
  state_.loss.add(loss.item<double>(), n);
  for (std::size_t i = 0; i < per_output.size(); ++i) state_.output_loss[i].add(per_output[i], n);
  update_metrics(batch.y, y_pred, batch.sample_weight);
}

TensorList Steps::predict(const TensorList& x) {
  detail::PauseRecording pause;
  return model_.run(x, /*training=*/false);
}

Logs Steps::logs() const {
  if (dist_) return reduced_logs();
  Logs logs{{"loss", state_.loss.result()}};
  const bool multi = state_.outputs.size() > 1;
  for (std::size_t i = 0; i < state_.outputs.size(); ++i) {
    const auto& o = state_.outputs[i];
    if (multi && o.loss) logs[o.name + "_loss"] = state_.output_loss[i].result();
    std::size_t k = 0;
    for (const auto& m : o.metrics) logs[o.metric_names.at(k++)] = m->result();
    for (const auto& m : o.weighted_metrics) logs[o.metric_names.at(k++)] = m->result();
  }
  return logs;
}

std::string Steps::diagnose(const Batch& batch, double loss) {
  // Re-run the forward pass and name the first step whose output is not finite. Only on this
  // failure path: normal steps pay nothing for the check.
  detail::PauseRecording pause;
  for (const auto& w : model_.weights())
    if (!all_finite(w.value()))
      return fmt::format("weight '{}' holds NaN or inf (the previous updates diverged: lower the learning rate "
                         "or clip gradients with clipnorm)",
                         w.name());
  std::string first;
  try {
    model_.run(batch.x, true, [&](const model::Step& step, const TensorList& outs) {
      if (!first.empty()) return;
      for (const auto& o : outs)
        if (!all_finite(o)) {
          first = step_label(step);
          return;
        }
    });
  } catch (const Error&) {
    // A failure while diagnosing must not hide the original problem.
  }
  if (!first.empty()) return "the first non-finite values come from " + first;
  return fmt::format("every layer output is finite; the loss itself is {} (check the targets: e.g. labels "
                     "outside [0, 1] for binary_crossentropy, or NaN in y)",
                     loss);
}

Tensor class_weight_tensor(const ClassWeights& class_weight, const Tensor& y_true) {
  detail::PauseRecording pause;
  Tensor labels;
  if (!is_floating(y_true.dtype()))
    labels = cast(y_true, Int64);
  else if (y_true.rank() >= 2 && y_true.dim(-1) > 1)
    labels = cast(argmax(y_true, -1), Int64);  // one-hot or probabilities
  else
    labels = cast(round(y_true.rank() >= 2 ? squeeze(y_true, {-1}) : y_true), Int64);  // binary targets
  auto ids = labels.without_mask().to_vector<std::int64_t>();
  std::vector<float> w(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto it = class_weight.find(ids[i]);
    w[i] = it == class_weight.end() ? 1.0f : static_cast<float>(it->second);  // Keras: unlisted classes weigh 1
  }
  return tensor(w, labels.shape());
}

Tensor combine_weights(const Tensor& sample_weight, const Tensor& class_weights) {
  if (!sample_weight.defined()) return class_weights;
  if (!class_weights.defined()) return sample_weight;
  Tensor sw = cast(sample_weight, Float32);
  while (sw.rank() < class_weights.rank()) sw = expand_dims(sw, -1);
  return sw * class_weights;
}

}  // namespace lamina::train
