// lamina._core._bench: the C++ half of bench/python_overhead, run in the Python process on the
// Python-built model. Two processes differ by more than the 20 us the benchmark looks for
// (another heap, other page and cache state), so both sides time the same model, alternately.
#include <chrono>
#include <vector>

#include "common.hpp"

namespace lamina::python {

namespace {

using Clock = std::chrono::steady_clock;

// Times each step as a C++ caller's callback would: no GIL, no Python on the path.
struct StepTimer final : Callback {
  Clock::time_point start;
  std::vector<double> seconds;
  void on_train_batch_begin(int, const Logs&) override { start = Clock::now(); }
  void on_train_batch_end(int, const Logs&) override {
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
};

}  // namespace

void init_bench(py::module_& m) {
  auto b = m.def_submodule("_bench", "C++-side timing loops for bench/python_overhead (not an API)");
  b.def(
      "predict_us",
      [](const std::shared_ptr<ModelLayer>& layer, py::handle x, int calls) {
        Model model(layer);
        Tensor input = to_tensor(x);  // once: a C++ caller already holds a Tensor
        std::vector<double> us;
        us.reserve(static_cast<std::size_t>(std::max(calls, 0)));
        py::gil_scoped_release release;
        for (int i = 0; i < calls; ++i) {
          auto t0 = Clock::now();
          Tensor out = model.predict(input);
          us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        }
        return us;
      },
      py::arg("model"), py::arg("x"), py::arg("calls"));
  b.def(
      "fit_step_s",
      [](const std::shared_ptr<ModelLayer>& layer, py::handle x, py::handle y, std::int64_t batch_size,
         int epochs) {
        Model model(layer);
        Tensor xs = to_tensor(x), ys = to_tensor(y);
        auto timer = std::make_shared<StepTimer>();
        py::gil_scoped_release release;
        model.fit(xs, ys, {.batch_size = batch_size, .epochs = epochs, .verbose = 0, .callbacks = {timer},
                           .shuffle = false});
        return timer->seconds;
      },
      py::arg("model"), py::arg("x"), py::arg("y"), py::arg("batch_size"), py::arg("epochs"));
}

}  // namespace lamina::python
