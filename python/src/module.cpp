// The extension module lamina._core: each area binds itself (errors, tensor, ops, layers,
// model and training, callbacks); python/lamina/__init__.py re-exports them with Keras's names.
#include "common.hpp"

PYBIND11_MODULE(_core, m) {
  using namespace lamina::python;
  m.doc() = "Lamina's C++ core (the `lamina` package re-exports it)";
  init_errors(m);
  init_tensor(m);
  init_ops(m);
  init_layers(m);
  init_lambda(m);
  init_callbacks(m);
  init_training(m);
  init_model(m);
  init_bench(m);
}
