// Layers whose body is Python: custom lamina.layers.Layer subclasses (PyLayer) and the
// conversions from Python objects to layers (lambda.cpp).
#pragma once
#include <map>
#include <memory>

#include "common.hpp"

namespace lamina::python {

// A Python object kept alive by C++ (a graph may outlive every Python reference), released
// with the GIL held (and never after the interpreter has finished).
std::shared_ptr<py::object> keep(py::handle obj);

// The C++ side of a Python Layer subclass: build, call, compute_mask and supports_masking go
// to the Python object's methods. The Python object and this layer keep each other alive.
class PyLayer : public Layer {
 public:
  PyLayer(std::string type, std::string name) : Layer(std::move(type), std::move(name)) {}
  void set_owner(py::handle self);
  py::object owner() const;

  void on_build(const std::vector<TensorSpec>& input_specs) override;
  TensorList call(const TensorList& inputs, const TensorList& masks, bool training) override;
  std::optional<TensorList> compute_mask(const TensorList& inputs, const TensorList& masks) override;
  bool supports_masking() const override;
  Json get_config() const override;
  Variable add_python_weight(const std::string& name, const Shape& shape, py::object initializer, bool trainable,
                             DType dtype);

 private:
  std::shared_ptr<py::object> owner_;
  int call_kwargs_ = -1;  // bit 0: call() takes mask, bit 1: training (read once)
};

// The layer a Python object stands for (a built-in layer, a Model, a Python Layer subclass).
LayerRef as_layer(py::handle obj);

// input_shape= given to a layer (Keras's way to start a Sequential), read by Sequential.
std::map<const Layer*, Shape>& pending_input_shapes();

}  // namespace lamina::python
