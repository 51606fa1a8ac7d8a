// The loops: fit, evaluate, predict and the *_on_batch forms, over in-memory tensors or a
// BatchSource. The one-step functions they call are in steps.cpp.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/shape.hpp"
#include "lamina/train/progress.hpp"
#include "train/array_source.hpp"
#include "train/distributed_fit.hpp"
#include "train/steps.hpp"

namespace lamina {

Model& Callback::model() const {
  if (!model_)
    throw ValueError({.problem = "this callback is not attached to a model",
                      .expected = "a callback passed to fit/evaluate/predict",
                      .found = "a callback used outside a training loop",
                      .hint = "pass it in the options: model.fit(x, y, {.callbacks = {cb}})"});
  return *model_;
}

namespace {

using train::ArraySource;
using train::Steps;
using train::TrainState;

TrainState& require_compiled(const ModelLayer& m, const char* what) {
  auto* state = m.train_state();
  if (!state)
    throw ValueError({.op = what,
                      .problem = fmt::format("model '{}' must be compiled before {}", m.name(), what),
                      .expected = "model.compile({...}) first",
                      .found = "a model that was never compiled",
                      .hint = "model.compile({.optimizer = \"adam\", .loss = \"sparse_categorical_crossentropy\"})"});
  return *state;
}

// Data by position or by name, in the order of `names`. Missing optional entries are undefined.
TensorList arrange(const Data& data, const std::vector<std::string>& names, const char* what, bool allow_missing) {
  if (!data.named()) {
    const TensorList& list = data.list();
    if (list.size() != names.size())
      throw ValueError({.problem = fmt::format("{} has {} tensor(s) but the model has {} {}", what, list.size(),
                                               names.size(), what[0] == 'x' ? "input(s)" : "output(s)"),
                        .expected = fmt::format("{} tensor(s): {}", names.size(), fmt::join(names, ", ")),
                        .found = fmt::format("{} tensor(s)", list.size()),
                        .hint = "pass one tensor per model input/output, in order, or by name"});
    return list;
  }
  TensorList out(names.size());
  for (const auto& [name, t] : data.by_name()) {
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
      throw ValueError({.problem = fmt::format("{} names '{}', which the model does not have", what, name),
                        .expected = fmt::format("one of {}", fmt::join(names, ", ")),
                        .found = "'" + name + "'",
                        .hint = "inputs are named by lm::Input's name, outputs by the layer producing them"});
    out[it - names.begin()] = t;
  }
  for (std::size_t i = 0; i < names.size(); ++i)
    if (!out[i].defined() && !allow_missing)
      throw ValueError({.problem = fmt::format("{} has no tensor for '{}'", what, names[i]),
                        .expected = fmt::format("a tensor for each of {}", fmt::join(names, ", ")),
                        .found = "no entry for '" + names[i] + "'",
                        .hint = "add it to the map"});
  return out;
}

// Callbacks plus the progress bar, called in Keras's order.
class Loop {
 public:
  Loop(const Model& model, std::vector<CallbackRef> callbacks) : model_(model), callbacks_(std::move(callbacks)) {
    for (auto& c : callbacks_)
      if (c) c->set_model(&model_);
  }
  template <class F>
  void each(F f) {
    for (auto& c : callbacks_)
      if (c) f(*c);
  }

 private:
  Model model_;
  std::vector<CallbackRef> callbacks_;
};

Logs prefixed(const Logs& logs, const std::string& prefix) {
  Logs out;
  for (const auto& [k, v] : logs) out[prefix + k] = v;
  return out;
}

Logs run_evaluation(const Model& model, BatchSource& data, std::optional<std::int64_t> steps, int verbose,
                    Loop& loop, const distributed::DataParallel* dp = nullptr) {
  ModelLayer& m = *model.ptr();
  TrainState& state = require_compiled(m, "evaluate");
  Steps stepper(m, state);
  stepper.set_distribution(dp);
  stepper.reset();
  std::int64_t n = steps ? std::min(*steps, data.size()) : data.size();
  ProgressBar bar(n, {.verbose = verbose});
  loop.each([&](Callback& c) { c.on_test_begin({}); });
  for (std::int64_t b = 0; b < n; ++b) {
    loop.each([&](Callback& c) { c.on_test_batch_begin(static_cast<int>(b), {}); });
    NoteScope note(fmt::format("evaluate: batch {}", b));
    stepper.test(data.get(b));
    Logs logs = stepper.logs();
    loop.each([&](Callback& c) { c.on_test_batch_end(static_cast<int>(b), logs); });
    bar.update(b + 1, logs);
  }
  Logs logs = stepper.logs();
  loop.each([&](Callback& c) { c.on_test_end(logs); });
  return logs;
}

History run_fit_loop(const Model& model, BatchSource& train, BatchSource* validation, const FitOptions& o) {
  ModelLayer& m = *model.ptr();
  TrainState& state = require_compiled(m, "fit");
  if (o.epochs < o.initial_epoch)
    throw ValueError({.op = "fit",
                      .problem = "epochs is the index of the final epoch and must not be below initial_epoch",
                      .expected = fmt::format("epochs >= initial_epoch ({})", o.initial_epoch),
                      .found = fmt::format("epochs = {}", o.epochs),
                      .hint = "to train 3 more epochs after epoch 5, pass initial_epoch = 5, epochs = 8"});
  if (o.validation_freq < 1)
    throw ValueError({.op = "fit",
                      .problem = "validation_freq must be positive",
                      .expected = ">= 1",
                      .found = std::to_string(o.validation_freq),
                      .hint = "1 validates after every epoch"});
  if (o.steps_per_epoch && *o.steps_per_epoch <= 0)
    throw ValueError({.op = "fit",
                      .problem = "steps_per_epoch must be positive",
                      .expected = ">= 1",
                      .found = std::to_string(*o.steps_per_epoch),
                      .hint = "leave it unset to use every batch"});
  if (train.size() == 0)
    throw ValueError({.op = "fit",
                      .problem = "there is no training data",
                      .expected = "at least one sample",
                      .found = "0 batches",
                      .hint = "check the data (and validation_split, which takes samples away)"});
  // Data parallel: callbacks and the progress bar on rank 0 only (distributed_fit.hpp).
  const distributed::DataParallel* dp = o.distribution.get();
  const bool chief = !dp || dp->chief();
  Steps stepper(m, state);
  stepper.set_distribution(dp);
  Loop loop(model, chief ? o.callbacks : std::vector<CallbackRef>{});
  History history;
  state.stop_training = false;
  state.resume_epoch.reset();
  const std::int64_t steps = o.steps_per_epoch.value_or(train.size());
  const int verbose = chief ? o.verbose : 0;
  loop.each([&](Callback& c) { c.on_train_begin({}); });
  if (dp) train::dp_start(*dp, m, state);
  int first_epoch = o.initial_epoch;
  if (state.resume_epoch) {
    first_epoch = *state.resume_epoch;
    if (auto* arrays = dynamic_cast<ArraySource*>(&train)) arrays->set_epoch(first_epoch);
  }
  Logs epoch_logs;
  for (int epoch = first_epoch; epoch < o.epochs && !state.stop_training; ++epoch) {
    stepper.reset();
    loop.each([&](Callback& c) { c.on_epoch_begin(epoch, {}); });
    if (verbose > 0 && o.epochs > 1) std::printf("Epoch %d/%d\n", epoch + 1, o.epochs), std::fflush(stdout);
    ProgressBar bar(steps, {.verbose = verbose});
    std::int64_t done = 0;
    for (std::int64_t b = 0; b < steps; ++b) {
      loop.each([&](Callback& c) { c.on_train_batch_begin(static_cast<int>(b), {}); });
      bool finite;
      {
        NoteScope note(fmt::format("fit: epoch {}, batch {}", epoch, b));
        finite = stepper.train(train.get(b % train.size()), o.class_weight);
      }
      Logs logs = stepper.logs();
      if (!finite) {
        loop.each([&](Callback& c) { c.on_train_batch_end(static_cast<int>(b), logs); });
        if (dp) train::dp_agree(*dp, state);
        if (state.stop_training) break;  // a callback (TerminateOnNaN) asked to stop gracefully
        throw ValueError({.op = "fit",
                          .problem = fmt::format("the loss is not finite at epoch {}, batch {}", epoch, b),
                          .expected = "a finite loss",
                          .found = fmt::format("loss {}; {}", logs["loss"], stepper.non_finite_report()),
                          .hint = "lower the learning rate, clip gradients (clipnorm), check the data for "
                                  "NaN/inf, or pass lm::callbacks::TerminateOnNaN() to stop quietly"});
      }
      ++done;
      loop.each([&](Callback& c) { c.on_train_batch_end(static_cast<int>(b), logs); });
      if (dp) train::dp_agree(*dp, state);
      bar.update(b + 1, logs);
      if (state.stop_training) break;
    }
    epoch_logs = stepper.logs();
    bool validate = validation && (epoch + 1) % o.validation_freq == 0;  // Keras's rule
    if (validate && validation->size() > 0) {
      Logs val = run_evaluation(model, *validation, o.validation_steps, 0, loop, dp);
      for (const auto& [k, v] : prefixed(val, "val_")) epoch_logs[k] = v;
    }
    bar.update(std::max<std::int64_t>(done, 1), epoch_logs, /*finalize=*/true);
    loop.each([&](Callback& c) { c.on_epoch_end(epoch, epoch_logs); });
    if (dp) train::dp_agree(*dp, state);
    history.epochs.push_back(epoch);
    for (const auto& [k, v] : epoch_logs) history.history[k].push_back(v);
    train.on_epoch_end();
  }
  loop.each([&](Callback& c) { c.on_train_end(epoch_logs); });
  if (dp) dp->broadcast(m.weights());  // e.g. EarlyStopping restored the best weights on rank 0
  return history;
}

// Runs a loop; under data parallelism an exception on one rank ends the whole job, so that
// no rank waits forever in a collective.
template <class F>
auto failing_together(const distributed::DataParallel* dp, F&& loop) {
  try {
    return std::forward<F>(loop)();
  } catch (const std::exception& e) {
    if (dp) train::dp_fail(*dp, e);
    throw;
  }
}

History run_fit(const Model& model, BatchSource& train, BatchSource* validation, const FitOptions& o) {
  return failing_together(o.distribution.get(), [&] { return run_fit_loop(model, train, validation, o); });
}

// A Sequential without an Input is built from the first sample of the data, as Keras does.
void ensure_graph(ModelLayer& m, const Data& x) {
  if (m.graph_built()) return;
  TensorList xs = arrange(x, {"x"}, "x", false);
  detail::PauseRecording pause;
  m(TensorList{slice(xs[0], 0, Range{0, std::min<std::int64_t>(1, xs[0].dim(0))})});
}

Outputs concat_batches(const std::vector<TensorList>& batches) {
  if (batches.empty()) return {};
  Outputs out;
  for (std::size_t k = 0; k < batches[0].size(); ++k) {
    TensorList parts;
    for (const auto& b : batches) parts.push_back(b[k]);
    try {
      out.push_back(parts.size() == 1 ? parts[0] : concat(parts, 0));
    } catch (const ShapeError& e) {
      throw ShapeError({.op = "predict",
                        .problem = fmt::format("the batches' output {} differ in shape beyond the batch axis", k),
                        .expected = "outputs that can be joined along the batch axis",
                        .found = e.details().found,
                        .hint = "batches of different lengths give outputs of different lengths: call "
                                "predict_on_batch on each batch instead"});
    }
  }
  return out;
}

}  // namespace

History Model::fit(const Data& x, const Data& y, const FitOptions& o) const {
  ModelLayer& m = layer();
  TrainState& state = require_compiled(m, "fit");
  if (x.empty())
    throw ValueError({.op = "fit",
                      .problem = "x is empty",
                      .expected = "input data, e.g. model.fit(x_train, y_train)",
                      .found = "no tensors",
                      .hint = "pass the training inputs"});
  ensure_graph(m, x);
  TensorList xs = arrange(x, m.input_names(), "x", false);
  TensorList ys = arrange(y, m.output_names(), "y", true);
  if (o.validation_split < 0 || o.validation_split >= 1 || std::isnan(o.validation_split))
    throw ValueError({.op = "fit",
                      .problem = "validation_split must be in [0, 1)",
                      .expected = "a fraction such as 0.1",
                      .found = fmt::format("{}", o.validation_split),
                      .hint = "0 disables it"});
  std::int64_t n = train::sample_count(xs, ys, o.sample_weight);
  std::int64_t batch_size = o.batch_size.value_or(32);
  std::unique_ptr<ArraySource> validation;
  TensorList train_x = xs, train_y = ys;
  Tensor train_sw = o.sample_weight;
  if (o.validation_data) {
    const auto& v = *o.validation_data;
    if (!v.source) {
      TensorList vx = arrange(v.x, m.input_names(), "validation x", false);
      TensorList vy = arrange(v.y, m.output_names(), "validation y", true);
      validation = std::make_unique<ArraySource>(vx, vy, v.sample_weight, o.validation_batch_size.value_or(batch_size),
                                                 false, 0);
    }
  } else if (o.validation_split > 0) {
    // Keras: the LAST samples, taken before shuffling.
    auto split_at = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * (1.0 - o.validation_split)));
    if (split_at == 0 || split_at == n)
      throw ValueError({.op = "fit",
                        .problem = "validation_split leaves one of the two parts empty",
                        .expected = "at least one training and one validation sample",
                        .found = fmt::format("{} samples split at {}", n, split_at),
                        .hint = "use more data or another validation_split"});
    validation = std::make_unique<ArraySource>(train::take_rows(xs, split_at, n), train::take_rows(ys, split_at, n),
                                               o.sample_weight.defined() ? slice(o.sample_weight, 0, Range{split_at, n})
                                                                         : Tensor(),
                                               o.validation_batch_size.value_or(batch_size), false, 0);
    train_x = train::take_rows(xs, 0, split_at);
    train_y = train::take_rows(ys, 0, split_at);
    if (train_sw.defined()) train_sw = slice(train_sw, 0, Range{0, split_at});
  }
  if (o.distribution) train::dp_share_seed(*o.distribution, state);
  ArraySource source(train_x, train_y, train_sw, batch_size, o.shuffle, state.shuffle_seed, o.initial_epoch);
  BatchSource* val = validation ? validation.get() : (o.validation_data ? o.validation_data->source : nullptr);
  return run_fit(*this, source, val, o);
}

History Model::fit(BatchSource& data, const FitOptions& o) const {
  require_compiled(layer(), "fit");
  if (o.batch_size)
    throw ValueError({.op = "fit",
                      .problem = "batch_size cannot be given with a BatchSource",
                      .expected = "no batch_size (the source decides its batches)",
                      .found = fmt::format("batch_size = {}", *o.batch_size),
                      .hint = "drop batch_size, or build the source with the batch size you want"});
  if (o.validation_split > 0)
    throw ValueError({.op = "fit",
                      .problem = "validation_split is not supported with a BatchSource",
                      .expected = "validation_data = {.source = &validation_source}",
                      .found = fmt::format("validation_split = {}", o.validation_split),
                      .hint = "split the data yourself into two sources"});
  if (o.sample_weight.defined() || !o.class_weight.empty())
    throw ValueError({.op = "fit",
                      .problem = "sample_weight and class_weight cannot be given with a BatchSource",
                      .expected = "weights inside the batches (Batch::sample_weight)",
                      .found = "weights in the fit options",
                      .hint = "return them from the source's get()"});
  std::unique_ptr<ArraySource> validation;
  BatchSource* val = nullptr;
  if (o.validation_data) {
    const auto& v = *o.validation_data;
    if (v.source) {
      val = v.source;
    } else {
      validation = std::make_unique<ArraySource>(arrange(v.x, layer().input_names(), "validation x", false),
                                                 arrange(v.y, layer().output_names(), "validation y", true),
                                                 v.sample_weight, o.validation_batch_size.value_or(32), false, 0);
      val = validation.get();
    }
  }
  return run_fit(*this, data, val, o);
}

Logs Model::evaluate(const Data& x, const Data& y, const EvaluateOptions& o) const {
  ModelLayer& m = layer();
  require_compiled(m, "evaluate");
  ArraySource source(arrange(x, m.input_names(), "x", false), arrange(y, m.output_names(), "y", true),
                     o.sample_weight, o.batch_size.value_or(32), false, 0);
  return evaluate(source, o);
}

Logs Model::evaluate(BatchSource& data, const EvaluateOptions& o) const {
  const distributed::DataParallel* dp = o.distribution.get();
  const bool chief = !dp || dp->chief();  // callbacks and the bar on rank 0 only
  Loop loop(*this, chief ? o.callbacks : std::vector<CallbackRef>{});
  return failing_together(dp, [&] { return run_evaluation(*this, data, o.steps, chief ? o.verbose : 0, loop, dp); });
}

namespace {

Outputs run_predict(const Model& model, BatchSource& data, const PredictOptions& o) {
  ModelLayer& m = *model.ptr();
  // Data parallel: each rank runs its shard of every batch and the shards are gathered.
  const distributed::DataParallel* dp = o.distribution.get();
  const bool chief = !dp || dp->chief();
  Loop loop(model, chief ? o.callbacks : std::vector<CallbackRef>{});
  std::int64_t n = o.steps ? std::min(*o.steps, data.size()) : data.size();
  ProgressBar bar(n, {.verbose = chief ? o.verbose : 0});
  std::vector<TensorList> results;
  loop.each([&](Callback& c) { c.on_predict_begin({}); });
  for (std::int64_t b = 0; b < n; ++b) {
    loop.each([&](Callback& c) { c.on_predict_batch_begin(static_cast<int>(b), {}); });
    NoteScope note(fmt::format("predict: batch {}", b));
    detail::PauseRecording pause;
    Batch batch = data.get(b);
    if (dp && dp->size() > 1) {
      const std::int64_t rows = batch.x.empty() ? 0 : batch.x[0].dim(0);
      results.push_back(dp->gather(m.run(dp->shard(batch).x, /*training=*/false), rows));
    } else {
      results.push_back(m.run(batch.x, /*training=*/false));
    }
    loop.each([&](Callback& c) { c.on_predict_batch_end(static_cast<int>(b), {}); });
    bar.update(b + 1, {});
  }
  loop.each([&](Callback& c) { c.on_predict_end({}); });
  return concat_batches(results);
}

}  // namespace

Outputs Model::predict(const Data& x, const PredictOptions& o) const {
  ModelLayer& m = layer();
  ensure_graph(m, x);
  ArraySource source(arrange(x, m.input_names(), "x", false), {}, {}, o.batch_size.value_or(32), false, 0);
  if (source.samples() == 0) {
    // No samples: the outputs are empty tensors of the right shape.
    detail::PauseRecording pause;
    return Outputs(m.run(arrange(x, m.input_names(), "x", false), false));
  }
  return predict(source, o);
}

Outputs Model::predict(BatchSource& data, const PredictOptions& o) const {
  return failing_together(o.distribution.get(), [&] { return run_predict(*this, data, o); });
}

Logs Model::train_on_batch(const Data& x, const Data& y, const Tensor& sample_weight,
                           const std::map<std::int64_t, double>& class_weight) const {
  ModelLayer& m = layer();
  TrainState& state = require_compiled(m, "train_on_batch");
  ensure_graph(m, x);
  Batch b{arrange(x, m.input_names(), "x", false), arrange(y, m.output_names(), "y", true), sample_weight};
  train::sample_count(b.x, b.y, b.sample_weight);
  Steps stepper(m, state);
  if (!stepper.train(b, class_weight))
    throw ValueError({.op = "train_on_batch",
                      .problem = "the loss is not finite",
                      .expected = "a finite loss",
                      .found = stepper.non_finite_report(),
                      .hint = "lower the learning rate, clip gradients (clipnorm), or check the data for NaN/inf"});
  return stepper.logs();
}

Logs Model::test_on_batch(const Data& x, const Data& y, const Tensor& sample_weight) const {
  ModelLayer& m = layer();
  TrainState& state = require_compiled(m, "test_on_batch");
  Batch b{arrange(x, m.input_names(), "x", false), arrange(y, m.output_names(), "y", true), sample_weight};
  train::sample_count(b.x, b.y, b.sample_weight);
  Steps stepper(m, state);
  stepper.reset();
  stepper.test(b);
  return stepper.logs();
}

Outputs Model::predict_on_batch(const Data& x) const {
  ModelLayer& m = layer();
  ensure_graph(m, x);
  detail::PauseRecording pause;
  return Outputs(m.run(arrange(x, m.input_names(), "x", false), false));
}

}  // namespace lamina
