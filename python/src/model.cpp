// lamina.Model and Sequential: the functional model, summary, compile, fit/evaluate/predict
// (run in C++ with the GIL released), save/load; lamina.models.load_model.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "py_layer.hpp"

namespace lamina::python {

namespace {

using py::arg;

Model M(const std::shared_ptr<ModelLayer>& layer) { return Model(layer); }

// The model's symbolic inputs (for their dtypes), none for a Sequential not built yet.
TensorList known_inputs(const Model& model) { return model->graph_built() ? model.inputs() : TensorList{}; }

TensorList tensor_list(py::handle obj) {
  TensorList out;
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    for (auto x : obj) out.push_back(to_tensor(x));
  } else {
    out.push_back(to_tensor(obj));
  }
  return out;
}

// Keras casts NumPy inputs to the model's input dtypes within a kind (float64 -> float32,
// int64 -> int32); across kinds (floats for an int32 input) Lamina's checks speak.
Tensor fit_dtype(Tensor t, std::optional<DType> want) {
  if (!want || t.dtype() == *want) return t;
  if ((is_floating(t.dtype()) && is_floating(*want)) || (is_integer(t.dtype()) && is_integer(*want)))
    return cast(t, *want);
  return t;
}

Data to_data(py::handle obj, const TensorList& specs_from) {
  if (obj.is_none()) return Data();
  auto want = [&](std::size_t i) -> std::optional<DType> {
    if (i < specs_from.size()) return specs_from[i].dtype();
    return std::nullopt;
  };
  if (py::isinstance<py::dict>(obj)) {
    std::map<std::string, Tensor> named;
    for (auto item : obj.cast<py::dict>()) named[item.first.cast<std::string>()] = to_tensor(item.second);
    return Data(named);
  }
  if ((py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) && py::len(obj) > 0) {
    bool all_arrays = true;
    for (auto x : obj)
      if (!py::isinstance<Tensor>(x) && !py::isinstance<py::array>(x)) all_arrays = false;
    if (all_arrays) {
      TensorList ts;
      std::size_t i = 0;
      for (auto x : obj) ts.push_back(fit_dtype(to_tensor(x), want(i++)));
      return Data(ts);
    }
  }
  return Data(fit_dtype(to_tensor(obj), want(0)));
}

Data to_targets(py::handle obj) {
  if (obj.is_none()) return Data();
  TensorList none;
  Data d = to_data(obj, none);
  if (d.named()) return d;
  TensorList ts;
  for (const auto& t : d.list()) ts.push_back(t.dtype() == Float64 ? cast(t, Float32) : t);
  return Data(ts);
}

int verbosity(py::handle v, int auto_value) {
  if (py::isinstance<py::str>(v)) return auto_value;  // "auto"
  return v.cast<int>();
}

std::vector<CallbackRef> callback_list(py::handle cbs) {
  std::vector<CallbackRef> out;
  if (cbs.is_none()) return out;
  for (auto c : cbs) out.push_back(c.cast<CallbackRef>());
  return out;
}

py::object logs_out(const Logs& logs, bool return_dict) {
  if (return_dict) return py::cast(logs);
  py::list values;
  if (auto it = logs.find("loss"); it != logs.end()) values.append(it->second);
  for (const auto& [k, v] : logs)
    if (k != "loss") values.append(v);
  if (values.size() == 1) return values[0];
  return values;
}

py::object numpy_outputs(const TensorList& outs) {
  py::list arrays;
  for (const auto& t : outs) {
    arrays.append(to_numpy(t, /*writeable=*/true));  // a fresh tensor nothing else holds
  }
  if (arrays.size() == 1) return arrays[0];
  return arrays;
}

void flush_python_stdout() { py::module_::import("sys").attr("stdout").attr("flush")(); }

// ---- compile arguments ----
OptimizerArg optimizer_arg(py::handle o) {
  if (py::isinstance<py::str>(o)) return OptimizerArg(o.cast<std::string>());
  return OptimizerArg(o.cast<optimizers::OptimizerRef>());
}

struct PyLoss {
  losses::LossRef ref;
};

LossArg loss_arg(py::handle l) {
  if (py::isinstance<py::str>(l)) return LossArg(l.cast<std::string>());
  return LossArg(l.cast<PyLoss&>().ref);
}

LossConfig loss_config(py::handle loss) {
  if (loss.is_none()) return {};
  if (py::isinstance<py::dict>(loss)) {
    std::map<std::string, LossArg> by_name;
    for (auto item : loss.cast<py::dict>()) by_name.emplace(item.first.cast<std::string>(), loss_arg(item.second));
    return LossConfig(by_name);
  }
  if (py::isinstance<py::list>(loss) || py::isinstance<py::tuple>(loss)) {
    std::vector<LossArg> list;
    for (auto l : loss) list.push_back(loss_arg(l));
    return LossConfig(list);
  }
  if (py::isinstance<py::str>(loss)) return LossConfig(loss.cast<std::string>());
  return LossConfig(loss.cast<PyLoss&>().ref);
}

MetricArg metric_arg(py::handle m) {
  if (py::isinstance<py::str>(m)) return MetricArg(m.cast<std::string>());
  return MetricArg(m.cast<metrics::MetricRef>());
}

MetricsConfig metrics_config(py::handle metrics) {
  if (metrics.is_none()) return {};
  if (py::isinstance<py::dict>(metrics)) {
    std::map<std::string, std::vector<MetricArg>> by_name;
    for (auto item : metrics.cast<py::dict>()) {
      std::vector<MetricArg> list;
      if (py::isinstance<py::list>(item.second) || py::isinstance<py::tuple>(item.second))
        for (auto m : item.second) list.push_back(metric_arg(m));
      else
        list.push_back(metric_arg(item.second));
      by_name.emplace(item.first.cast<std::string>(), list);
    }
    return MetricsConfig(by_name);
  }
  std::vector<MetricArg> all;
  for (auto m : metrics) all.push_back(metric_arg(m));
  return MetricsConfig(all);
}

std::shared_ptr<ModelLayer> make_model(py::args args, py::kwargs kwargs) {
  py::object inputs = py::none(), outputs = py::none(), name = py::none();
  if (args.size() > 0) inputs = args[0];
  if (args.size() > 1) outputs = args[1];
  if (args.size() > 2) name = args[2];
  bool sequential = false;
  py::list layers;
  for (auto item : kwargs) {
    std::string k = item.first.cast<std::string>();
    if (k == "inputs")
      inputs = py::reinterpret_borrow<py::object>(item.second);
    else if (k == "outputs")
      outputs = py::reinterpret_borrow<py::object>(item.second);
    else if (k == "name")
      name = py::reinterpret_borrow<py::object>(item.second);
    else if (k == "_sequential")
      sequential = true, layers = item.second.cast<py::list>();
    else if (k != "trainable")
      throw ValueError({.op = "Model",
                        .problem = "unknown argument " + k,
                        .expected = "inputs, outputs, name",
                        .found = k,
                        .hint = "Model(inputs, outputs, name=None), as in Keras"});
  }
  std::string n = name.is_none() ? "" : name.cast<std::string>();
  if (sequential) {
    Sequential seq(std::vector<SequentialEntry>{}, n);
    bool have_input = false;
    for (auto entry : layers) {
      if (py::isinstance<Tensor>(entry)) {
        seq.add(SequentialEntry(entry.cast<Tensor>()));
        have_input = true;
        continue;
      }
      LayerRef l = as_layer(entry);
      if (seq->layers().empty() && !have_input) {  // input_shape= on the first layer
        auto it = pending_input_shapes().find(l.ptr().get());
        if (it != pending_input_shapes().end()) seq.add(SequentialEntry(Input(it->second)));
      }
      seq.add(SequentialEntry(l));
    }
    return seq.ptr();
  }
  if (inputs.is_none() || outputs.is_none())
    throw ValueError({.op = "Model",
                      .problem = "a functional model needs inputs and outputs",
                      .expected = "Model(inputs, outputs)",
                      .found = "a missing argument",
                      .hint = "x = lamina.Input(shape=...); ...; lamina.Model(inputs=x, outputs=y); subclassed "
                              "Models are not supported: use a custom Layer inside a functional model"});
  return Model(tensor_list(inputs), tensor_list(outputs), n).ptr();
}

// A schedule held for Python (pybind11 holders cannot point to const).
struct PySchedule {
  optimizers::ScheduleRef ref;
};

// One of a Keras constructor's arguments: its name and default (none: required).
struct ScheduleArg {
  const char* name;
  std::optional<Json> fallback = std::nullopt;
  ScheduleArg(const char* n) : name(n) {}  // NOLINT: a required argument by its name
  ScheduleArg(const char* n, Json d) : name(n), fallback(std::move(d)) {}
};

// Keras arguments -> a config object: positional ones in `order`, then keywords, then the
// defaults of the others (a required one left out gets the config's "missing field" error).
Json keyword_config(const std::string& what, const std::vector<ScheduleArg>& order, const py::args& args,
                    const py::kwargs& kwargs) {
  std::vector<std::string> names;
  for (const auto& a : order) names.emplace_back(a.name);
  if (args.size() > order.size())
    throw ValueError({.op = what,
                      .problem = "too many positional arguments",
                      .expected = fmt::format("at most {} ({})", order.size(), fmt::join(names, ", ")),
                      .found = fmt::format("{}", args.size()),
                      .hint = "pass the others by keyword"});
  Json config = Json::object();
  // None stands for Keras's default, as in Keras's signatures.
  for (std::size_t i = 0; i < args.size(); ++i)
    if (!args[i].is_none()) config[order[i].name] = to_json(args[i]);
  for (auto item : kwargs) {
    const std::string key = item.first.cast<std::string>();
    if (config.contains(key))
      throw ValueError({.op = what,
                        .problem = fmt::format("'{}' is given twice, by position and by keyword", key),
                        .expected = "each argument once",
                        .found = "both",
                        .hint = "drop one of them"});
    if (!item.second.is_none()) config[key] = to_json(item.second);
  }
  for (const auto& a : order)
    if (!config.contains(a.name) && a.fallback) config[a.name] = *a.fallback;
  return config;
}

}  // namespace

void init_training(py::module_& root) {
  py::module_ opt = root.def_submodule("optimizers", "keras.optimizers");
  py::class_<optimizers::Optimizer, optimizers::OptimizerRef>(opt, "Optimizer")
      .def_property_readonly("iterations", &optimizers::Optimizer::iterations)
      .def("get_config", [](const optimizers::Optimizer& o) { return from_json(o.get_config()); })
      .def(
          "apply_gradients",
          [](optimizers::Optimizer& o, py::iterable grads_and_vars) {
            // Keras: apply_gradients(zip(grads, vars)); a None gradient is skipped.
            std::vector<std::optional<Tensor>> grads;
            std::vector<Variable> vars;
            for (auto pair : grads_and_vars) {
              py::tuple gv = py::reinterpret_borrow<py::object>(pair).cast<py::tuple>();
              grads.push_back(gv[0].is_none() ? std::nullopt : std::optional<Tensor>(to_tensor(gv[0])));
              vars.push_back(gv[1].cast<Variable>());
            }
            o.apply_gradients(grads, vars);
          },
          arg("grads_and_vars"))
      .def(
          "apply",
          [](optimizers::Optimizer& o, py::list grads, std::vector<Variable> vars) {
            std::vector<std::optional<Tensor>> gs;
            for (auto g : grads) gs.push_back(g.is_none() ? std::nullopt : std::optional<Tensor>(to_tensor(g)));
            o.apply_gradients(gs, vars);
          },
          arg("grads"), arg("trainable_variables"));
  // keras.optimizers.schedules: the C++ schedules, built from Keras's arguments through their
  // config (so unknown or mistyped arguments get the config's errors), callable on a step.
  py::module_ sched = opt.def_submodule("schedules", "keras.optimizers.schedules");
  py::class_<PySchedule>(sched, "LearningRateSchedule")
      .def(
          "__call__", [](const PySchedule& s, std::int64_t step) { return (*s.ref)(step); }, arg("step"))
      .def("get_config", [](const PySchedule& s) { return from_json(s.ref->get_config()); });
  // Keras's arguments of each schedule, in positional order, with their defaults.
  using Args = std::vector<ScheduleArg>;
  const std::vector<std::pair<const char*, Args>> schedules = {
      {"ExponentialDecay",
       {{"initial_learning_rate"}, {"decay_steps"}, {"decay_rate"}, {"staircase", false}, {"name", "ExponentialDecay"}}},
      {"PiecewiseConstantDecay", {{"boundaries"}, {"values"}, {"name", "PiecewiseConstant"}}},
      {"CosineDecay",
       {{"initial_learning_rate"},
        {"decay_steps"},
        {"alpha", 0.0},
        {"name", "CosineDecay"},
        {"warmup_target", nullptr},
        {"warmup_steps", 0}}},
      {"PolynomialDecay",
       {{"initial_learning_rate"},
        {"decay_steps"},
        {"end_learning_rate", 0.0001},
        {"power", 1.0},
        {"cycle", false},
        {"name", "PolynomialDecay"}}},
      {"InverseTimeDecay",
       {{"initial_learning_rate"}, {"decay_steps"}, {"decay_rate"}, {"staircase", false}, {"name", "InverseTimeDecay"}}},
      {"CosineDecayRestarts",
       {{"initial_learning_rate"},
        {"first_decay_steps"},
        {"t_mul", 2.0},
        {"m_mul", 1.0},
        {"alpha", 0.0},
        {"name", "SGDRDecay"}}}};
  for (const auto& [name, args_of] : schedules) {
    sched.def(name, [name, args_of](py::args args, py::kwargs kwargs) {
      Json config = keyword_config(name, args_of, args, kwargs);
      return PySchedule{optimizers::schedule_from_config(
          {{"module", "keras.optimizers.schedules"}, {"class_name", name}, {"config", config}, {"registered_name", nullptr}})};
    });
  }

  for (const char* name : {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Nadam", "Adamax"}) {
    // The learning rate may come first by position, as in Keras, and be a schedule.
    opt.def(name, [name](py::args args, py::kwargs kwargs) {
      Json serialized = optimizers::serialize(*optimizers::get(name));
      auto put = [&](const std::string& key, py::handle value) {
        if (value.is_none()) return;
        serialized["config"][key] =
            py::isinstance<PySchedule>(value) ? optimizers::serialize(*value.cast<const PySchedule&>().ref) : to_json(value);
      };
      if (args.size() > 1)
        throw ValueError({.op = name,
                          .problem = "only the learning rate can be given by position",
                          .expected = "learning_rate first, every other argument by keyword",
                          .found = fmt::format("{} positional arguments", args.size()),
                          .hint = fmt::format("e.g. lamina.optimizers.{}(1e-3, beta_1=0.9)", name)});
      if (args.size() == 1) put("learning_rate", args[0]);
      for (auto item : kwargs) put(item.first.cast<std::string>(), item.second);
      return optimizers::optimizer_from_config(serialized);
    });
  }
  opt.def("get", &optimizers::get, arg("identifier"));

  py::module_ ls = root.def_submodule("losses", "keras.losses");
  py::class_<PyLoss>(ls, "Loss")
      .def("get_config", [](const PyLoss& l) { return from_json(l.ref->get_config()); })
      .def(
          "__call__",
          [](const PyLoss& l, py::object y_true, py::object y_pred, py::object sample_weight) {
            return (*l.ref)(to_tensor(y_true), to_tensor(y_pred),
                            sample_weight.is_none() ? Tensor() : to_tensor(sample_weight));
          },
          arg("y_true"), arg("y_pred"), arg("sample_weight") = py::none());
  for (const char* name :
       {"MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Huber",
        "LogCosh", "Poisson", "KLDivergence", "CosineSimilarity", "Hinge", "SquaredHinge", "CategoricalHinge",
        "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy"}) {
    ls.def(name, [name](py::kwargs kwargs) {
      Json config = losses::get(snake_case(name))->get_config();
      for (auto item : kwargs)
        if (!item.second.is_none()) config[item.first.cast<std::string>()] = to_json(item.second);
      return PyLoss{losses::loss_from_config(config)};
    });
  }

  py::module_ mt = root.def_submodule("metrics", "keras.metrics");
  py::class_<metrics::Metric, metrics::MetricRef>(mt, "Metric")
      .def("result", &metrics::Metric::result)
      .def("reset_state", &metrics::Metric::reset_state);
  mt.def(
      "BinaryAccuracy", [](double threshold) { return metrics::BinaryAccuracy(threshold); }, arg("threshold") = 0.5);
  mt.def("CategoricalAccuracy", &metrics::CategoricalAccuracy);
  mt.def("SparseCategoricalAccuracy", &metrics::SparseCategoricalAccuracy);
  mt.def("TopKCategoricalAccuracy", &metrics::TopKCategoricalAccuracy, arg("k") = 5);
  mt.def("SparseTopKCategoricalAccuracy", &metrics::SparseTopKCategoricalAccuracy, arg("k") = 5);
  mt.def(
      "Precision", [](double t) { return metrics::Precision(t); }, arg("thresholds") = 0.5);
  mt.def(
      "Recall", [](double t) { return metrics::Recall(t); }, arg("thresholds") = 0.5);
  mt.def(
      "AUC", [](int n) { return metrics::AUC(n); }, arg("num_thresholds") = 200);
  mt.def("MeanSquaredError", &metrics::MeanSquaredError);
  mt.def("MeanAbsoluteError", &metrics::MeanAbsoluteError);

  py::class_<History>(root.attr("callbacks").cast<py::module_>(), "History")
      .def_property_readonly("history", [](const History& h) { return py::cast(h.history); })
      .def_property_readonly("epoch", [](const History& h) { return py::cast(h.epochs); })
      .def("__repr__", [](const History& h) { return "<History epochs=" + std::to_string(h.epochs.size()) + ">"; });
}

void init_model(py::module_& root) {
  py::class_<ModelLayer, Layer, std::shared_ptr<ModelLayer>> m(root, "Model", py::dynamic_attr(),
                                                               "A functional model: Model(inputs, outputs, name=None)");
  m.def(py::init(&make_model));
  m.def_property_readonly("layers", [](const std::shared_ptr<ModelLayer>& l) {
    py::list out;
    for (auto& x : M(l).layers()) {
      if (auto* p = dynamic_cast<PyLayer*>(x.ptr().get()))
        out.append(p->owner());
      else
        out.append(py::cast(x.ptr()));
    }
    return out;
  });
  m.def_property_readonly("inputs", [](const std::shared_ptr<ModelLayer>& l) { return M(l).inputs(); });
  m.def_property_readonly("outputs", [](const std::shared_ptr<ModelLayer>& l) { return M(l).outputs(); });
  m.def_property_readonly("input_names", [](const std::shared_ptr<ModelLayer>& l) { return M(l).input_names(); });
  m.def_property_readonly("output_names", [](const std::shared_ptr<ModelLayer>& l) { return M(l).output_names(); });
  m.def_property_readonly("compiled", [](const std::shared_ptr<ModelLayer>& l) { return M(l).compiled(); });
  m.def_property_readonly("optimizer", [](const std::shared_ptr<ModelLayer>& l) { return M(l).optimizer(); });
  m.def_property(
      "stop_training", [](const std::shared_ptr<ModelLayer>& l) { return M(l).stop_training(); },
      [](const std::shared_ptr<ModelLayer>& l, bool v) { M(l).stop_training() = v; });
  m.def(
      "get_layer",
      [](const std::shared_ptr<ModelLayer>& l, py::object name, py::object index) -> py::object {
        LayerRef x =
            !index.is_none() ? M(l).layers().at(index.cast<std::size_t>()) : M(l).get_layer(name.cast<std::string>());
        if (auto* p = dynamic_cast<PyLayer*>(x.ptr().get())) return p->owner();
        return py::cast(x.ptr());
      },
      arg("name") = py::none(), arg("index") = py::none());
  m.def(
      "summary",
      [](const std::shared_ptr<ModelLayer>& l, py::object line_length, py::object positions, py::object print_fn,
         bool expand_nested, bool show_trainable) {
        std::string s = M(l).summary_string({.line_length = line_length.is_none() ? 0 : line_length.cast<int>(),
                                             .expand_nested = expand_nested,
                                             .show_trainable = show_trainable});
        if (!s.empty() && s.back() == '\n') s.pop_back();
        if (print_fn.is_none())
          py::print(s);
        else
          print_fn(s);
      },
      arg("line_length") = py::none(), arg("positions") = py::none(), arg("print_fn") = py::none(),
      arg("expand_nested") = false, arg("show_trainable") = false);
  m.def(
      "compile",
      [](const std::shared_ptr<ModelLayer>& l, py::object optimizer, py::object loss, py::object loss_weights,
         py::object metrics, py::object weighted_metrics, py::kwargs kwargs) {
        for (auto item : kwargs) {
          std::string k = item.first.cast<std::string>();
          if (k != "run_eagerly" && k != "jit_compile" && k != "steps_per_execution")
            throw ValueError({.op = "compile",
                              .problem = "unknown argument " + k,
                              .expected = "optimizer, loss, loss_weights, metrics, weighted_metrics",
                              .found = k,
                              .hint = "see Model.compile in Keras"});
        }
        CompileOptions o{.optimizer = optimizer_arg(optimizer), .loss = loss_config(loss)};
        if (!loss_weights.is_none()) {
          if (py::isinstance<py::dict>(loss_weights))
            o.loss_weights = LossWeights(loss_weights.cast<std::map<std::string, double>>());
          else {
            auto list = loss_weights.cast<std::vector<double>>();
            std::map<std::string, double> by_name;
            const auto& names = M(l).output_names();
            for (std::size_t i = 0; i < list.size() && i < names.size(); ++i) by_name[names[i]] = list[i];
            o.loss_weights = LossWeights(by_name);
          }
        }
        o.metrics = metrics_config(metrics);
        o.weighted_metrics = metrics_config(weighted_metrics);
        M(l).compile(o);
      },
      arg("optimizer") = "rmsprop", arg("loss") = py::none(), arg("loss_weights") = py::none(),
      arg("metrics") = py::none(), arg("weighted_metrics") = py::none());
  m.def(
      "fit",
      [](const std::shared_ptr<ModelLayer>& l, py::object x, py::object y, py::object batch_size, int epochs,
         py::object verbose, py::object callbacks, double validation_split, py::object validation_data, bool shuffle,
         py::object class_weight, py::object sample_weight, int initial_epoch, py::object steps_per_epoch,
         py::object validation_steps, py::object validation_batch_size, int validation_freq) {
        Model model = M(l);
        FitOptions o;
        if (!batch_size.is_none()) o.batch_size = batch_size.cast<std::int64_t>();
        o.epochs = epochs;
        o.verbose = verbosity(verbose, 1);
        o.callbacks = callback_list(callbacks);
        o.validation_split = validation_split;
        if (!validation_data.is_none()) {
          py::tuple vd = validation_data.cast<py::tuple>();
          ValidationData v{.x = to_data(vd[0], known_inputs(model)), .y = to_targets(vd[1])};
          if (vd.size() > 2 && !vd[2].is_none()) v.sample_weight = to_tensor(vd[2], Float32);
          o.validation_data = v;
        }
        o.shuffle = shuffle;
        if (!class_weight.is_none()) o.class_weight = class_weight.cast<std::map<std::int64_t, double>>();
        if (!sample_weight.is_none()) o.sample_weight = to_tensor(sample_weight, Float32);
        o.initial_epoch = initial_epoch;
        if (!steps_per_epoch.is_none()) o.steps_per_epoch = steps_per_epoch.cast<std::int64_t>();
        if (!validation_steps.is_none()) o.validation_steps = validation_steps.cast<std::int64_t>();
        if (!validation_batch_size.is_none()) o.validation_batch_size = validation_batch_size.cast<std::int64_t>();
        o.validation_freq = validation_freq;
        Data xs = to_data(x, known_inputs(model)), ys = to_targets(y);
        flush_python_stdout();
        py::gil_scoped_release release;
        History h = model.fit(xs, ys, o);
        std::cout.flush();
        return h;
      },
      arg("x") = py::none(), arg("y") = py::none(), arg("batch_size") = py::none(), arg("epochs") = 1,
      arg("verbose") = "auto", arg("callbacks") = py::none(), arg("validation_split") = 0.0,
      arg("validation_data") = py::none(), arg("shuffle") = true, arg("class_weight") = py::none(),
      arg("sample_weight") = py::none(), arg("initial_epoch") = 0, arg("steps_per_epoch") = py::none(),
      arg("validation_steps") = py::none(), arg("validation_batch_size") = py::none(), arg("validation_freq") = 1);
  m.def(
      "evaluate",
      [](const std::shared_ptr<ModelLayer>& l, py::object x, py::object y, py::object batch_size, py::object verbose,
         py::object sample_weight, py::object steps, py::object callbacks, bool return_dict) {
        Model model = M(l);
        EvaluateOptions o;
        if (!batch_size.is_none()) o.batch_size = batch_size.cast<std::int64_t>();
        o.verbose = verbosity(verbose, 1);
        if (!sample_weight.is_none()) o.sample_weight = to_tensor(sample_weight, Float32);
        if (!steps.is_none()) o.steps = steps.cast<std::int64_t>();
        o.callbacks = callback_list(callbacks);
        Data xs = to_data(x, known_inputs(model)), ys = to_targets(y);
        flush_python_stdout();
        Logs logs;
        {
          py::gil_scoped_release release;
          logs = model.evaluate(xs, ys, o);
          std::cout.flush();
        }
        return logs_out(logs, return_dict);
      },
      arg("x") = py::none(), arg("y") = py::none(), arg("batch_size") = py::none(), arg("verbose") = "auto",
      arg("sample_weight") = py::none(), arg("steps") = py::none(), arg("callbacks") = py::none(),
      arg("return_dict") = false);
  m.def(
      "predict",
      [](const std::shared_ptr<ModelLayer>& l, py::object x, py::object batch_size, py::object verbose,
         py::object steps, py::object callbacks) {
        Model model = M(l);
        PredictOptions o;
        if (!batch_size.is_none()) o.batch_size = batch_size.cast<std::int64_t>();
        o.verbose = verbosity(verbose, 0);
        if (!steps.is_none()) o.steps = steps.cast<std::int64_t>();
        o.callbacks = callback_list(callbacks);
        Data xs = to_data(x, known_inputs(model));
        TensorList outs;
        {
          py::gil_scoped_release release;
          outs = model.predict(xs, o);
        }
        return numpy_outputs(outs);
      },
      arg("x"), arg("batch_size") = py::none(), arg("verbose") = "auto", arg("steps") = py::none(),
      arg("callbacks") = py::none());
  m.def(
      "train_on_batch",
      [](const std::shared_ptr<ModelLayer>& l, py::object x, py::object y, py::object sample_weight,
         py::object class_weight, bool return_dict) {
        Model model = M(l);
        Data xs = to_data(x, known_inputs(model)), ys = to_targets(y);
        Tensor sw = sample_weight.is_none() ? Tensor() : to_tensor(sample_weight, Float32);
        std::map<std::int64_t, double> cw;
        if (!class_weight.is_none()) cw = class_weight.cast<std::map<std::int64_t, double>>();
        Logs logs;
        {
          py::gil_scoped_release release;
          logs = model.train_on_batch(xs, ys, sw, cw);
        }
        return logs_out(logs, return_dict);
      },
      arg("x"), arg("y") = py::none(), arg("sample_weight") = py::none(), arg("class_weight") = py::none(),
      arg("return_dict") = false);
  m.def(
      "test_on_batch",
      [](const std::shared_ptr<ModelLayer>& l, py::object x, py::object y, py::object sample_weight, bool return_dict) {
        Model model = M(l);
        Data xs = to_data(x, known_inputs(model)), ys = to_targets(y);
        Tensor sw = sample_weight.is_none() ? Tensor() : to_tensor(sample_weight, Float32);
        Logs logs;
        {
          py::gil_scoped_release release;
          logs = model.test_on_batch(xs, ys, sw);
        }
        return logs_out(logs, return_dict);
      },
      arg("x"), arg("y") = py::none(), arg("sample_weight") = py::none(), arg("return_dict") = false);
  m.def(
      "predict_on_batch",
      [](const std::shared_ptr<ModelLayer>& l, py::object x) {
        Model model = M(l);
        Data xs = to_data(x, known_inputs(model));
        TensorList outs;
        {
          py::gil_scoped_release release;
          outs = model.predict_on_batch(xs);
        }
        return numpy_outputs(outs);
      },
      arg("x"));
  m.def(
      "save",
      [](const std::shared_ptr<ModelLayer>& l, const std::string& path, bool overwrite) {
        py::gil_scoped_release release;
        M(l).save(path);
      },
      arg("filepath"), arg("overwrite") = true);
  m.def(
      "save_weights",
      [](const std::shared_ptr<ModelLayer>& l, const std::string& path, bool overwrite) { M(l).save_weights(path); },
      arg("filepath"), arg("overwrite") = true);
  m.def(
      "load_weights", [](const std::shared_ptr<ModelLayer>& l, const std::string& path) { M(l).load_weights(path); },
      arg("filepath"));
  // Sequential (python/lamina/__init__.py subclasses Model): add and pop.
  m.def("_add", [](const std::shared_ptr<ModelLayer>& l, py::object entry) {
    if (!l->is_sequential()) throw py::type_error("add() is for Sequential models");
    if (py::isinstance<Tensor>(entry)) {
      l->add_input(entry.cast<Tensor>());
      return;
    }
    LayerRef layer = as_layer(entry);
    if (l->layers().empty() && !l->graph_built()) {
      auto it = pending_input_shapes().find(layer.ptr().get());
      if (it != pending_input_shapes().end()) l->add_input(Input(it->second));
    }
    l->add(layer);
  });
  m.def("_pop", [](const std::shared_ptr<ModelLayer>& l) { l->pop(); });

  py::module_ models = root.def_submodule("models", "keras.models");
  models.def(
      "load_model",
      [](const std::string& path, py::object custom_objects, bool compile) {
        Model model;
        {
          py::gil_scoped_release release;
          model = load_model(path);
        }
        return model.ptr();
      },
      arg("filepath"), arg("custom_objects") = py::none(), arg("compile") = true);
}

}  // namespace lamina::python
