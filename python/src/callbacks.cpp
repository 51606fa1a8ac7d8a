// lamina.callbacks: Keras's callbacks (Lamina's C++ ones) and lamina.callbacks.Callback, whose
// Python subclasses receive the same hooks (fit runs without the GIL; each hook takes it).
#include "errors.hpp"
#include "py_layer.hpp"

namespace lamina::python {

namespace {

// Python subclasses of lamina.callbacks.Callback: each hook calls the Python method.
class PyCallback : public Callback {
 public:
  using Callback::Callback;
#define LAMINA_HOOK_LOGS(name)                       \
  void name(const Logs& logs) override {             \
    py::gil_scoped_acquire gil;                      \
    try {                                            \
      PYBIND11_OVERRIDE(void, Callback, name, logs); \
    } catch (py::error_already_set & e) {            \
      rethrow_as_cpp(e);                             \
    }                                                \
  }
#define LAMINA_HOOK_INDEX(name)                             \
  void name(int index, const Logs& logs) override {         \
    py::gil_scoped_acquire gil;                             \
    try {                                                   \
      PYBIND11_OVERRIDE(void, Callback, name, index, logs); \
    } catch (py::error_already_set & e) {                   \
      rethrow_as_cpp(e);                                    \
    }                                                       \
  }
  LAMINA_HOOK_LOGS(on_train_begin)
  LAMINA_HOOK_LOGS(on_train_end)
  LAMINA_HOOK_INDEX(on_epoch_begin)
  LAMINA_HOOK_INDEX(on_epoch_end)
  LAMINA_HOOK_INDEX(on_train_batch_begin)
  LAMINA_HOOK_INDEX(on_train_batch_end)
  LAMINA_HOOK_LOGS(on_test_begin)
  LAMINA_HOOK_LOGS(on_test_end)
  LAMINA_HOOK_INDEX(on_test_batch_begin)
  LAMINA_HOOK_INDEX(on_test_batch_end)
  LAMINA_HOOK_LOGS(on_predict_begin)
  LAMINA_HOOK_LOGS(on_predict_end)
  LAMINA_HOOK_INDEX(on_predict_batch_begin)
  LAMINA_HOOK_INDEX(on_predict_batch_end)
#undef LAMINA_HOOK_LOGS
#undef LAMINA_HOOK_INDEX
};

// Python functions given to C++ callbacks (LambdaCallback, LearningRateScheduler).
template <class R, class... A>
std::function<R(A...)> py_fn(py::object f) {
  if (f.is_none()) return {};
  auto held = keep(f);
  return [held](A... args) -> R {
    py::gil_scoped_acquire gil;
    try {
      if constexpr (std::is_void_v<R>)
        (*held)(args...);
      else
        return (*held)(args...).template cast<R>();
    } catch (py::error_already_set& e) {
      rethrow_as_cpp(e);
    }
  };
}

}  // namespace

void init_callbacks(py::module_& root) {
  py::module_ m = root.def_submodule("callbacks", "keras.callbacks");
  using py::arg;
  py::class_<Callback, PyCallback, std::shared_ptr<Callback>>(m, "Callback", py::dynamic_attr(),
                                                              "Subclass it and override the hooks you need.")
      .def(py::init<>())
      .def_property_readonly("model",
                             [](const Callback& c) -> py::object {
                               if (!c.has_model()) return py::none();
                               return py::cast(c.model().ptr());  // the lamina.Model being trained
                             })
      .def("on_train_begin", &Callback::on_train_begin, arg("logs") = Logs{})
      .def("on_train_end", &Callback::on_train_end, arg("logs") = Logs{})
      .def("on_epoch_begin", &Callback::on_epoch_begin, arg("epoch"), arg("logs") = Logs{})
      .def("on_epoch_end", &Callback::on_epoch_end, arg("epoch"), arg("logs") = Logs{})
      .def("on_train_batch_begin", &Callback::on_train_batch_begin, arg("batch"), arg("logs") = Logs{})
      .def("on_train_batch_end", &Callback::on_train_batch_end, arg("batch"), arg("logs") = Logs{})
      .def("on_test_begin", &Callback::on_test_begin, arg("logs") = Logs{})
      .def("on_test_end", &Callback::on_test_end, arg("logs") = Logs{})
      .def("on_test_batch_begin", &Callback::on_test_batch_begin, arg("batch"), arg("logs") = Logs{})
      .def("on_test_batch_end", &Callback::on_test_batch_end, arg("batch"), arg("logs") = Logs{})
      .def("on_predict_begin", &Callback::on_predict_begin, arg("logs") = Logs{})
      .def("on_predict_end", &Callback::on_predict_end, arg("logs") = Logs{})
      .def("on_predict_batch_begin", &Callback::on_predict_batch_begin, arg("batch"), arg("logs") = Logs{})
      .def("on_predict_batch_end", &Callback::on_predict_batch_end, arg("batch"), arg("logs") = Logs{});

  m.def(
      "EarlyStopping",
      [](std::string monitor, double min_delta, int patience, int verbose, std::string mode,
         std::optional<double> baseline, bool restore_best_weights, int start_from_epoch) {
        return callbacks::EarlyStopping({.monitor = monitor,
                                         .min_delta = min_delta,
                                         .patience = patience,
                                         .verbose = verbose,
                                         .mode = mode,
                                         .baseline = baseline,
                                         .restore_best_weights = restore_best_weights,
                                         .start_from_epoch = start_from_epoch});
      },
      arg("monitor") = "val_loss", arg("min_delta") = 0.0, arg("patience") = 0, arg("verbose") = 0,
      arg("mode") = "auto", arg("baseline") = py::none(), arg("restore_best_weights") = false,
      arg("start_from_epoch") = 0);
  m.def(
      "ModelCheckpoint",
      [](std::string filepath, std::string monitor, int verbose, bool save_best_only, bool save_weights_only,
         std::string mode, std::optional<double> initial_value_threshold) {
        return callbacks::ModelCheckpoint(filepath, {.monitor = monitor,
                                                     .verbose = verbose,
                                                     .save_best_only = save_best_only,
                                                     .save_weights_only = save_weights_only,
                                                     .mode = mode,
                                                     .initial_value_threshold = initial_value_threshold});
      },
      arg("filepath"), arg("monitor") = "val_loss", arg("verbose") = 0, arg("save_best_only") = false,
      arg("save_weights_only") = false, arg("mode") = "auto", arg("initial_value_threshold") = py::none());
  m.def(
      "CSVLogger",
      [](std::string filename, std::string separator, bool append) {
        if (separator.size() != 1)
          throw ValueError({.op = "CSVLogger",
                            .problem = "separator must be one character",
                            .expected = "\",\"",
                            .found = separator,
                            .hint = "use one character"});
        return callbacks::CSVLogger(filename, {.separator = separator[0], .append = append});
      },
      arg("filename"), arg("separator") = ",", arg("append") = false);
  m.def(
      "ReduceLROnPlateau",
      [](std::string monitor, double factor, int patience, int verbose, std::string mode, double min_delta,
         int cooldown, double min_lr) {
        return callbacks::ReduceLROnPlateau({.monitor = monitor,
                                             .factor = factor,
                                             .patience = patience,
                                             .verbose = verbose,
                                             .mode = mode,
                                             .min_delta = min_delta,
                                             .cooldown = cooldown,
                                             .min_lr = min_lr});
      },
      arg("monitor") = "val_loss", arg("factor") = 0.1, arg("patience") = 10, arg("verbose") = 0, arg("mode") = "auto",
      arg("min_delta") = 1e-4, arg("cooldown") = 0, arg("min_lr") = 0.0);
  m.def("TerminateOnNaN", &callbacks::TerminateOnNaN);
  m.def(
      "BackupAndRestore", [](std::string backup_dir) { return callbacks::BackupAndRestore(backup_dir); },
      arg("backup_dir"));
  m.def(
      "LearningRateScheduler",
      [](py::object schedule, int verbose) {
        return callbacks::LearningRateScheduler(py_fn<double, int, double>(schedule), verbose);
      },
      arg("schedule"), arg("verbose") = 0);
  m.def(
      "LambdaCallback",
      [](py::object on_epoch_begin, py::object on_epoch_end, py::object on_train_batch_begin,
         py::object on_train_batch_end, py::object on_train_begin, py::object on_train_end) {
        callbacks::LambdaCallbackOptions o;
        o.on_epoch_begin = py_fn<void, int, const Logs&>(on_epoch_begin);
        o.on_epoch_end = py_fn<void, int, const Logs&>(on_epoch_end);
        o.on_train_batch_begin = py_fn<void, int, const Logs&>(on_train_batch_begin);
        o.on_train_batch_end = py_fn<void, int, const Logs&>(on_train_batch_end);
        o.on_train_begin = py_fn<void, const Logs&>(on_train_begin);
        o.on_train_end = py_fn<void, const Logs&>(on_train_end);
        return callbacks::LambdaCallback(o);
      },
      arg("on_epoch_begin") = py::none(), arg("on_epoch_end") = py::none(), arg("on_train_batch_begin") = py::none(),
      arg("on_train_batch_end") = py::none(), arg("on_train_begin") = py::none(), arg("on_train_end") = py::none());
}

}  // namespace lamina::python
