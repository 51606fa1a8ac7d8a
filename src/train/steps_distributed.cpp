// The data-parallel forms of the training and test steps (include/lamina/distributed/
// data_parallel.hpp): each rank runs its shard of the global batch; the loss's normaliser is
// the global count of valid entries, so the summed gradients are those of the global batch.
#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "lamina/autograd/tape.hpp"
#include "lamina/core/error.hpp"
#include "lamina/distributed/data_parallel.hpp"
#include "lamina/ops/elementwise.hpp"
#include "train/steps.hpp"

namespace lamina::train {

namespace {

bool has_rows(const Batch& b) { return !b.x.empty() && b.x[0].dim(0) > 0; }
double rows(const Batch& b) { return b.x.empty() ? 0.0 : static_cast<double>(b.x[0].dim(0)); }

}  // namespace

bool Steps::train_sharded(const Batch& global, const ClassWeights& class_weight) {
  check_targets(global);
  const auto& dp = *dist_;
  const double n = rows(global);
  const Batch batch = dp.shard(global);
  const bool local = has_rows(batch);
  Tensor sw = batch.sample_weight;
  if (!class_weight.empty()) {
    require_one_output_for_class_weight(state_.outputs.size());
    if (local) sw = combine_weights(sw, class_weight_tensor(class_weight, batch.y[0]));
  }
  std::vector<Variable> vars = model_.trainable_weights();
  const std::size_t k = state_.outputs.size();
  // parts = [sum_0 .. sum_{k-1}, count_0 .. count_{k-1}]: one allreduce gives both the global
  // loss values and the global normalisers.
  std::vector<double> parts(2 * k, 0.0);
  std::vector<Tensor> sums(k);
  TensorList y_pred;
  std::optional<GradientTape> tape;
  if (local) {
    tape.emplace();
    y_pred = model_.run(batch.x, /*training=*/true);
    for (std::size_t i = 0; i < k; ++i) {
      const auto& o = state_.outputs[i];
      if (!o.loss) continue;
      NoteScope note(fmt::format("loss '{}' of output '{}'", o.loss->name(), o.name));
      auto p = o.loss->reduce_parts(batch.y[i], y_pred[i], sw);
      sums[i] = p.sum;
      parts[i] = p.sum.item<double>();
      parts[k + i] = p.count;
    }
  }
  const std::vector<double> mine = parts;
  dp.sum(parts);
  std::vector<double> per_output(k, 0.0);
  double total = 0;
  bool any_loss = false;
  for (std::size_t i = 0; i < k; ++i) {
    if (!state_.outputs[i].loss) continue;
    any_loss = true;
    per_output[i] = parts[i] / std::max(parts[k + i], 1.0);
    total += per_output[i] * state_.outputs[i].loss_weight;
  }
  if (!any_loss)
    throw ValueError({.problem = "no output has a loss",
                      .expected = "a loss for at least one output",
                      .found = "compile() was given no loss",
                      .hint = "compile with a loss: model.compile({.optimizer = \"adam\", .loss = \"mse\"})"});
  if (!std::isfinite(total)) {
    bool mine_finite = true;
    for (std::size_t i = 0; i < k; ++i) mine_finite = mine_finite && std::isfinite(mine[i]);
    tape.reset();
    non_finite_report_ = !mine_finite ? fmt::format("rank {}: {}", dp.rank(), diagnose(batch, total))
                                      : fmt::format(
                                            "the non-finite values are in another rank's shard (rank {}'s "
                                            "shard is finite)",
                                            dp.rank());
    state_.loss.add(total, n);
    return false;
  }
  // Each bucket's allreduce starts as soon as its gradients are final, while the rest of the
  // backward runs (a rank with an empty shard reports none: its buckets carry zeros).
  distributed::GradientReducer reducer(dp, vars);
  if (local) {
    // This rank's part of the global loss: sum_r / global count (as Loss::operator()).
    Tensor loss;
    for (std::size_t i = 0; i < k; ++i) {
      const auto& o = state_.outputs[i];
      if (!o.loss) continue;
      Tensor li = sums[i] / std::max(parts[k + i], 1.0);
      Tensor weighted = o.loss_weight == 1.0 ? li : li * o.loss_weight;
      loss = loss.defined() ? loss + weighted : weighted;
    }
    if (!state_.gradients_checked) {
      NoteScope note("fit: checking that every trainable weight gets a gradient");
      tape->require_gradients(loss, vars);
    }
    tape->gradient(loss, vars, {.on_final = [&](std::size_t i, const Tensor& gi) { reducer.ready(i, gi); }});
  }
  tape.reset();
  state_.gradients_checked = true;
  TensorList g;
  reducer.finish(g);
  state_.optimizer->apply_gradients(g, vars);
  state_.loss.add(total, n);
  for (std::size_t i = 0; i < k; ++i) state_.output_loss[i].add(per_output[i], n);
  if (local) update_metrics(batch.y, y_pred, sw);
  return true;
}

void Steps::test_sharded(const Batch& global) {
  check_targets(global);
  detail::PauseRecording pause;
  const auto& dp = *dist_;
  const double n = rows(global);
  const Batch batch = dp.shard(global);
  const bool local = has_rows(batch);
  const std::size_t k = state_.outputs.size();
  std::vector<double> parts(2 * k, 0.0);
  TensorList y_pred;
  if (local) {
    y_pred = model_.run(batch.x, /*training=*/false);
    for (std::size_t i = 0; i < k; ++i) {
      const auto& o = state_.outputs[i];
      if (!o.loss) continue;
      NoteScope note(fmt::format("loss '{}' of output '{}'", o.loss->name(), o.name));
      auto p = o.loss->reduce_parts(batch.y[i], y_pred[i], batch.sample_weight);
      parts[i] = p.sum.item<double>();
      parts[k + i] = p.count;
    }
  }
  dp.sum(parts);
  double total = 0;
  for (std::size_t i = 0; i < k; ++i) {
    if (!state_.outputs[i].loss) continue;
    const double li = parts[i] / std::max(parts[k + i], 1.0);
    total += li * state_.outputs[i].loss_weight;
    state_.output_loss[i].add(li, n);
  }
  state_.loss.add(total, n);
  if (local) update_metrics(batch.y, y_pred, batch.sample_weight);
}

Logs Steps::reduced_logs() const {
  // The loss trackers already hold global values; metrics hold this rank's accumulators, which
  // are summed over ranks and read through the metric itself (its state swapped in and back).
  Logs logs{{"loss", state_.loss.result()}};
  const bool multi = state_.outputs.size() > 1;
  std::vector<metrics::Metric*> all;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < state_.outputs.size(); ++i) {
    const auto& o = state_.outputs[i];
    if (multi && o.loss) logs[o.name + "_loss"] = state_.output_loss[i].result();
    std::size_t j = 0;
    for (const auto& m : o.metrics) all.push_back(m.get()), names.push_back(o.metric_names.at(j++));
    for (const auto& m : o.weighted_metrics) all.push_back(m.get()), names.push_back(o.metric_names.at(j++));
  }
  std::vector<double> states;
  std::vector<std::size_t> sizes;
  for (auto* m : all) {
    auto s = m->state();
    sizes.push_back(s.size());
    states.insert(states.end(), s.begin(), s.end());
  }
  const std::int64_t length = static_cast<std::int64_t>(states.size());
  auto lengths = dist_->comm().allgather(std::span<const std::int64_t>(&length, 1));
  for (std::size_t r = 0; r < lengths.size(); ++r)
    if (lengths[r] != length)
      throw ValueError(
          {.op = "fit (data parallel)",
           .problem = "the ranks' metrics do not match",
           .expected = fmt::format("{} metric state values on every rank (rank {})", length, dist_->rank()),
           .found = fmt::format("{} on rank {}", lengths[r], r),
           .hint = "every rank must compile the same model with the same metrics, and every "
                   "rank's first shard must be non-empty (batch_size >= the number of ranks)"});
  dist_->sum(states);
  std::size_t at = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    std::vector<double> global(states.begin() + static_cast<std::ptrdiff_t>(at),
                               states.begin() + static_cast<std::ptrdiff_t>(at + sizes[i]));
    at += sizes[i];
    auto mine = all[i]->state();
    all[i]->reset_state();
    all[i]->merge_state(global);
    logs[names[i]] = all[i]->result();
    all[i]->reset_state();
    all[i]->merge_state(mine);
  }
  return logs;
}

}  // namespace lamina::train
