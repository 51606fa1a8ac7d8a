// Shared by the binding sources: the Python <-> Tensor conversions and each area's init.
#pragma once
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <lamina/lamina.hpp>
#include <optional>
#include <string>

namespace lamina::python {

namespace py = pybind11;

// A Tensor from a Tensor, a NumPy array, a Python scalar or a (nested) list. NumPy arrays keep
// their dtype (other integer and float widths are widened to Lamina's); Python scalars and
// lists follow Keras: ints become int32, floats float32. Ragged lists are ShapeErrors,
// object/string/complex arrays DTypeErrors; non-contiguous arrays are copied.
Tensor to_tensor(py::handle obj, std::optional<DType> dtype = std::nullopt);
TensorList to_tensor_list(py::handle obj);                     // one tensor-like or a list/tuple of them
std::optional<DType> parse_dtype(py::handle dtype);            // None, "float32", a NumPy dtype
py::object to_numpy(const Tensor& t, bool writeable = false);  // a copy-free NumPy view keeping t alive
py::object shape_tuple(const Shape& s);                        // (None, 10)
Shape parse_shape(py::handle shape);                           // a tuple/list of ints or None
py::object tensors_out(const TensorList& ts);                  // one Tensor, or a list
Json to_json(py::handle obj);                                  // Python (dict, list, str, number) -> JSON
py::object from_json(const Json& j);

void init_errors(py::module_& m);
void init_tensor(py::module_& m);
void init_ops(py::module_& m);
void init_layers(py::module_& m);
void init_lambda(py::module_& m);
void init_model(py::module_& m);
void init_training(py::module_& m);
void init_callbacks(py::module_& m);
void init_bench(py::module_& m);

}  // namespace lamina::python
