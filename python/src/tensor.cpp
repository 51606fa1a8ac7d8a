// lamina.Tensor: NumPy in (a copy into Lamina's storage), NumPy out (the buffer protocol, no
// copy: numpy.asarray(t) views the tensor's memory, read-only since tensors are immutable),
// the mask as a NumPy bool array, and Python's operators keeping masks.
#include <cmath>
#include <cstring>

#include "common.hpp"
#include "errors.hpp"

namespace lamina::python {

namespace {

py::module_ numpy() { return py::module_::import("numpy"); }

const char* buffer_format(DType dt) {
  switch (dt) {
    case Bool:
      return "?";
    case Int32:
      return "i";
    case Int64:
      return "q";
    case Float32:
      return "f";
    case Float64:
      break;
  }
  return "d";
}

// From NumPy's type numbers (no format string to parse on every conversion).
py::dtype numpy_dtype(DType dt) {
  switch (dt) {
    case Bool:
      return py::dtype::of<bool>();
    case Int32:
      return py::dtype::of<std::int32_t>();
    case Int64:
      return py::dtype::of<std::int64_t>();
    case Float32:
      return py::dtype::of<float>();
    case Float64:
      break;
  }
  return py::dtype::of<double>();
}

[[noreturn]] void symbolic_values(const Tensor& t) {
  throw ValueError({.op = "Tensor.numpy",
                    .problem = "a symbolic tensor has no values",
                    .expected = "a concrete tensor",
                    .found = "symbolic " + t.spec().str(),
                    .hint = "build a lamina.Model from the symbolic tensors and call model.predict(x)"});
}

std::vector<py::ssize_t> byte_strides(const Tensor& t) {
  std::vector<py::ssize_t> strides;
  for (auto s : contiguous_strides(t.shape())) strides.push_back(static_cast<py::ssize_t>(s * itemsize(t.dtype())));
  return strides;
}

// The source dtype an array's values are read as (before the requested dtype, if any).
DType array_dtype(const py::array& a) {
  py::dtype dt = a.dtype();
  char kind = dt.kind();
  auto size = dt.itemsize();
  if (kind == 'b') return Bool;
  if (kind == 'i') return size <= 4 ? Int32 : Int64;
  if (kind == 'u' && size <= 2) return Int32;
  if (kind == 'u' && size == 4) return Int64;
  if (kind == 'f') return size <= 4 ? Float32 : Float64;
  std::string name = py::str(dt).cast<std::string>();
  if (kind == 'O')
    throw DTypeError({.op = "tensor",
                      .problem = "cannot make a tensor from an object array",
                      .expected = "an array of bool, int or float",
                      .found = "dtype " + name + " (" + std::to_string(a.size()) + " elements)",
                      .hint = "ragged lists need padding first (lamina.utils.pad_sequences); other objects "
                              "must be converted to numbers"});
  throw DTypeError({.op = "tensor",
                    .problem = "cannot make a tensor from this array's dtype",
                    .expected = "bool, int8..int64, uint8..uint32, float16..float64",
                    .found = "dtype " + name,
                    .hint = name.rfind("uint64", 0) == 0 ? "convert with a.astype('int64') if the values fit"
                                                         : "convert the values to numbers, e.g. a.astype('float32')"});
}

// Conversions go through lamina::cast, which defines NaN and out-of-range values (0 and
// saturation) where a plain C++ conversion would not.
Tensor with_dtype(const Tensor& t, std::optional<DType> dtype) {
  return dtype && *dtype != t.dtype() ? cast(t, *dtype) : t;
}

// A contiguous tensor holding a strided array's elements (of the tensor's own dtype), copied
// row by row along the last axis: no NumPy call on the way.
Tensor strided_copy(const py::array& a, DType source) {
  const auto rank = static_cast<std::size_t>(a.ndim());
  std::vector<std::int64_t> dims(a.shape(), a.shape() + rank);
  Tensor t = detail::empty(Shape(dims), source);
  if (t.numel() == 0) return t;
  const std::size_t item = itemsize(source);
  auto* out = static_cast<char*>(detail::mutable_raw_data(t));
  const auto* base = static_cast<const char*>(a.data());
  const std::int64_t inner = rank == 0 ? 1 : dims.back();
  const py::ssize_t inner_stride = rank == 0 ? 0 : a.strides(rank - 1);
  std::vector<std::int64_t> index(rank == 0 ? 0 : rank - 1, 0);
  for (std::int64_t row = 0, rows = t.numel() / inner; row < rows; ++row) {
    const char* src = base;
    for (std::size_t d = 0; d < index.size(); ++d) src += index[d] * a.strides(d);
    for (std::int64_t i = 0; i < inner; ++i, out += item) std::memcpy(out, src + i * inner_stride, item);
    for (std::size_t d = index.size(); d-- > 0;) {  // the next row's index, last axis fastest
      if (++index[d] < dims[d]) break;
      index[d] = 0;
    }
  }
  return t;
}

Tensor from_array(py::array a, std::optional<DType> dtype, bool keras_defaults) {
  DType source = array_dtype(a);
  if (keras_defaults && !dtype) {  // Python lists: ints are int32, floats float32 (Keras)
    if (source == Int64) dtype = Int32;
    if (source == Float64) dtype = Float32;
  }
  static const char* names[] = {"bool", "int32", "int64", "float32", "float64"};
  // Arrays whose elements already are the source dtype are read here, contiguous or strided
  // (a slice such as x[:1, :50]); other widths and byte orders are converted by NumPy first.
  py::dtype dt = a.dtype();
  bool same_elements = dt.itemsize() == static_cast<py::ssize_t>(itemsize(source)) &&
                       dt.kind() == (source == Bool        ? 'b'
                                     : is_floating(source) ? 'f'
                                                           : 'i') &&
                       dt.byteorder() != '>';
  const bool contiguous = a.flags() & py::array::c_style;
  if (same_elements && !contiguous && source != Bool) return with_dtype(strided_copy(a, source), dtype);
  py::array c = same_elements && contiguous
                    ? a
                    : py::array(numpy().attr("ascontiguousarray")(a, names[static_cast<int>(source)]));
  std::vector<std::int64_t> dims(c.shape(), c.shape() + c.ndim());
  if (source == Bool) {  // Lamina reads bools as bytes
    std::vector<char> bytes(static_cast<std::size_t>(c.size()));
    if (!bytes.empty()) std::memcpy(bytes.data(), c.data(), bytes.size());
    return with_dtype(detail::from_buffer(Bool, bytes.data(), Shape(dims), std::nullopt), dtype);
  }
  return with_dtype(detail::from_buffer(source, c.data(), Shape(dims), std::nullopt), dtype);
}

Tensor from_python_scalar(py::handle obj, std::optional<DType> dtype) {
  if (py::isinstance<py::bool_>(obj)) return scalar(obj.cast<bool>(), dtype);
  if (py::isinstance<py::int_>(obj)) {
    long long v = PyLong_AsLongLong(obj.ptr());
    if (v == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      throw ValueError({.op = "tensor",
                        .problem = "the integer does not fit in 64 bits",
                        .expected = "an integer in [-2^63, 2^63)",
                        .found = py::str(obj).cast<std::string>(),
                        .hint = "use a float, or smaller values"});
    }
    bool fits32 = v >= INT32_MIN && v <= INT32_MAX;
    return scalar(static_cast<std::int64_t>(v), dtype ? dtype : std::optional<DType>(fits32 ? Int32 : Int64));
  }
  return scalar(obj.cast<double>(), dtype ? dtype : std::optional<DType>(Float32));
}

}  // namespace

std::optional<DType> parse_dtype(py::handle dtype) {
  if (dtype.is_none()) return std::nullopt;
  std::string name;
  if (py::isinstance<py::str>(dtype))
    name = dtype.cast<std::string>();
  else
    name = py::str(numpy().attr("dtype")(dtype).attr("name")).cast<std::string>();
  if (auto dt = dtype_from_name(name)) return dt;
  throw DTypeError({.op = "dtype",
                    .problem = "not a dtype Lamina has",
                    .expected = "\"bool\", \"int32\", \"int64\", \"float32\" or \"float64\"",
                    .found = "\"" + name + "\"",
                    .hint = "pick the nearest of Lamina's dtypes"});
}

Tensor to_tensor(py::handle obj, std::optional<DType> dtype) {
  if (py::isinstance<Tensor>(obj)) {
    Tensor t = obj.cast<Tensor>();
    return dtype && t.dtype() != *dtype ? cast(t, *dtype) : t;
  }
  if (py::isinstance<Variable>(obj)) {  // reading it records the read on active tapes
    Tensor t = obj.cast<Variable>().value();
    return dtype && t.dtype() != *dtype ? cast(t, *dtype) : t;
  }
  if (py::isinstance<py::bool_>(obj) || py::isinstance<py::int_>(obj) || py::isinstance<py::float_>(obj))
    return from_python_scalar(obj, dtype);
  if (py::isinstance<py::array>(obj)) return from_array(py::reinterpret_borrow<py::array>(obj), dtype, false);
  if (obj.is_none())
    throw ValueError({.op = "tensor",
                      .problem = "cannot make a tensor from None",
                      .expected = "a lamina.Tensor, a NumPy array, a number or a list of numbers",
                      .found = "None",
                      .hint = "a function that should return a tensor returned nothing on some path?"});
  bool from_list = py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj);
  py::object a;
  try {
    a = numpy().attr("asarray")(obj);
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_ValueError)) throw;
    throw ShapeError({.op = "tensor",
                      .problem = "the nested lists are ragged (rows of different lengths)",
                      .expected = "a rectangular nest of lists",
                      .found = py::str(e.value()).cast<std::string>(),
                      .hint = "pad the rows to one length first (lamina.utils.pad_sequences), and mask the "
                              "padding (Embedding(mask_zero=True) or Masking)"});
  }
  return from_array(py::reinterpret_borrow<py::array>(a), dtype, from_list);
}

TensorList to_tensor_list(py::handle obj) {
  TensorList out;
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    bool all_tensor_like = true;  // a list of arrays/tensors, not a nested list of numbers
    for (auto item : obj)
      if (!py::isinstance<Tensor>(item) && !py::isinstance<py::array>(item)) all_tensor_like = false;
    if (all_tensor_like && py::len(obj) > 0) {
      for (auto item : obj) out.push_back(to_tensor(item));
      return out;
    }
  }
  out.push_back(to_tensor(obj));
  return out;
}

// The buffer protocol by hand rather than with def_buffer, whose callback may not throw: a
// symbolic tensor must raise lamina.ValueError, not abort.
int tensor_getbuffer(PyObject* obj, Py_buffer* view, int flags) {
  view->obj = nullptr;
  try {
    Tensor t = py::handle(obj).cast<Tensor>();
    if (t.is_symbolic()) symbolic_values(t);
    if ((flags & PyBUF_WRITABLE) == PyBUF_WRITABLE) {
      PyErr_SetString(PyExc_BufferError, "a lamina.Tensor is read-only (tensors are immutable)");
      return -1;
    }
    auto rank = static_cast<std::size_t>(t.rank());
    auto* dims = new Py_ssize_t[2 * rank + 1];  // shape, then strides
    auto strides = byte_strides(t);
    for (std::size_t i = 0; i < rank; ++i) {
      dims[i] = static_cast<Py_ssize_t>(t.dim(static_cast<std::int64_t>(i)));
      dims[rank + i] = strides[i];
    }
    view->buf = const_cast<void*>(t.raw_data());
    view->obj = obj;
    Py_INCREF(obj);  // the Tensor (and so its storage) lives as long as the view
    view->itemsize = static_cast<Py_ssize_t>(itemsize(t.dtype()));
    view->len = static_cast<Py_ssize_t>(t.numel()) * view->itemsize;
    view->readonly = 1;
    view->format = (flags & PyBUF_FORMAT) ? const_cast<char*>(buffer_format(t.dtype())) : nullptr;
    view->ndim = static_cast<int>(rank);
    view->shape = (flags & PyBUF_ND) == PyBUF_ND ? dims : nullptr;
    view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? dims + rank : nullptr;
    view->suboffsets = nullptr;
    view->internal = dims;
    return 0;
  } catch (const Error& e) {
    raise_python(e, std::current_exception());
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_BufferError, e.what());
  }
  return -1;
}

void tensor_releasebuffer(PyObject*, Py_buffer* view) { delete[] static_cast<Py_ssize_t*>(view->internal); }

py::object shape_tuple(const Shape& s) {
  py::list dims;
  for (auto d : s) dims.append(d < 0 ? py::object(py::none()) : py::object(py::int_(d)));
  return py::tuple(dims);
}

Shape parse_shape(py::handle shape) {
  std::vector<std::int64_t> dims;
  if (py::isinstance<py::int_>(shape)) return Shape{shape.cast<std::int64_t>()};
  for (auto d : shape) dims.push_back(d.is_none() ? None : d.cast<std::int64_t>());
  return Shape(dims);
}

py::object to_numpy(const Tensor& t, bool writeable) {
  if (t.is_symbolic()) symbolic_values(t);
  py::object owner = py::cast(t);
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  py::array a(numpy_dtype(t.dtype()), shape, byte_strides(t), t.raw_data(), owner);
  // Read-only by clearing the flag on the array just made (setting a.flags.writeable from
  // Python costs two attribute lookups per call, a measurable part of a small predict).
  if (!writeable) py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

py::object tensors_out(const TensorList& ts) {
  if (ts.size() == 1) return py::cast(ts[0]);
  return py::cast(ts);
}

Json to_json(py::handle obj) {
  py::module_ json = py::module_::import("json");
  return Json::parse(json.attr("dumps")(obj).cast<std::string>());
}

py::object from_json(const Json& j) {
  py::module_ json = py::module_::import("json");
  return json.attr("loads")(j.dump());
}

void init_tensor(py::module_& m) {
  py::class_<Tensor> t(m, "Tensor", py::buffer_protocol(), "A Lamina tensor (concrete or symbolic), with its mask.");
  auto* type = reinterpret_cast<PyTypeObject*>(t.ptr());
  type->tp_as_buffer->bf_getbuffer = tensor_getbuffer;
  type->tp_as_buffer->bf_releasebuffer = tensor_releasebuffer;
  t.def(py::init([](py::object value, py::object dtype) { return to_tensor(value, parse_dtype(dtype)); }),
        py::arg("value"), py::arg("dtype") = py::none());
  t.def_property_readonly("shape", [](const Tensor& x) { return shape_tuple(x.shape()); });
  t.def_property_readonly("dtype", [](const Tensor& x) { return std::string(dtype_name(x.dtype())); });
  t.def_property_readonly("ndim", &Tensor::rank);
  t.def_property_readonly(
      "spec", [](const Tensor& x) { return x.spec().str(); },
      "dtype, shape and mask shape: \"float32 (None, 10, 32) mask (None, 10)\"");
  t.def_property_readonly("is_symbolic", &Tensor::is_symbolic);
  t.def_property_readonly("has_mask", &Tensor::has_mask);
  t.def_property_readonly(
      "mask",
      [](const Tensor& x) -> py::object {
        if (!x.has_mask()) return py::none();
        Tensor mk = x.mask();
        return mk.is_symbolic() ? py::cast(mk) : to_numpy(mk);
      },
      "The mask: a NumPy bool array (a symbolic Tensor for symbolic tensors), or None.");
  t.def("numpy", [](const Tensor& x) { return to_numpy(x); });
  t.def(
      "__array__",
      [](const Tensor& x, py::object dtype) {
        py::object a = to_numpy(x);
        return dtype.is_none() ? a : a.attr("astype")(dtype);
      },
      py::arg("dtype") = py::none());
  t.def("with_mask",
        [](const Tensor& x, py::object mk) { return mk.is_none() ? x.without_mask() : x.with_mask(to_tensor(mk)); });
  t.def("without_mask", &Tensor::without_mask);
  t.def("item", [](const Tensor& x) -> py::object { return to_numpy(x).attr("item")(); });
  t.def("__len__", [](const Tensor& x) {
    if (x.rank() == 0) throw py::type_error("len() of a 0-d tensor");
    if (x.dim(0) < 0) throw py::type_error("len() of a tensor whose first dimension is None");
    return x.dim(0);
  });
  t.def("__bool__", [](const Tensor& x) { return static_cast<bool>(x); });
  t.def("__float__", [](const Tensor& x) { return to_numpy(x).attr("__float__")(); });
  t.def("__int__", [](const Tensor& x) { return to_numpy(x).attr("__int__")(); });
  t.def("__repr__", [](const Tensor& x) { return x.str(); });
  t.def("__hash__", [](const Tensor& x) { return std::hash<const void*>()(x.impl().get()); });
  t.attr("__array_ufunc__") = py::none();  // numpy_array * tensor calls Tensor.__rmul__ (masks kept)

  // Operators (NumPy broadcasting, Lamina's promotion and mask rules).
  using Bin = Tensor (*)(const Tensor&, const Tensor&);
  auto bind_binary = [&t](const char* name, const char* rname, Bin f) {
    t.def(
        name, [f](const Tensor& a, py::object b) { return f(a, to_tensor(b)); }, py::is_operator());
    if (rname)
      t.def(
          rname, [f](const Tensor& a, py::object b) { return f(to_tensor(b), a); }, py::is_operator());
  };
  bind_binary("__add__", "__radd__", static_cast<Bin>(&add));
  bind_binary("__sub__", "__rsub__", static_cast<Bin>(&sub));
  bind_binary("__mul__", "__rmul__", static_cast<Bin>(&mul));
  bind_binary("__truediv__", "__rtruediv__", static_cast<Bin>(&div));
  bind_binary("__pow__", "__rpow__", static_cast<Bin>(&lamina::pow));
  bind_binary("__matmul__", "__rmatmul__", static_cast<Bin>(&matmul));
  bind_binary("__eq__", nullptr, static_cast<Bin>(&equal));
  bind_binary("__ne__", nullptr, static_cast<Bin>(&not_equal));
  bind_binary("__lt__", nullptr, static_cast<Bin>(&less));
  bind_binary("__le__", nullptr, static_cast<Bin>(&less_equal));
  bind_binary("__gt__", nullptr, static_cast<Bin>(&greater));
  bind_binary("__ge__", nullptr, static_cast<Bin>(&greater_equal));
  bind_binary("__and__", "__rand__", static_cast<Bin>(&logical_and));
  bind_binary("__or__", "__ror__", static_cast<Bin>(&logical_or));
  t.def("__neg__", [](const Tensor& a) { return neg(a); });
  t.def("__abs__", [](const Tensor& a) { return lamina::abs(a); });
  t.def("__invert__", [](const Tensor& a) { return logical_not(a); });
  t.def("__getitem__", [](const Tensor& x, py::object key) {
    // Integers and slices on the leading axes (NumPy's basic indexing without None/Ellipsis).
    py::tuple keys = py::isinstance<py::tuple>(key) ? py::reinterpret_borrow<py::tuple>(key) : py::make_tuple(key);
    std::vector<Range> ranges;
    std::vector<std::int64_t> squeeze_axes;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      py::handle k = keys[i];
      if (py::isinstance<py::slice>(k)) {
        py::slice s = py::reinterpret_borrow<py::slice>(k);
        Range r;
        py::object start = s.attr("start"), stop = s.attr("stop"), step = s.attr("step");
        if (!start.is_none()) r.start = start.cast<std::int64_t>();
        if (!stop.is_none()) r.stop = stop.cast<std::int64_t>();
        if (!step.is_none()) r.step = step.cast<std::int64_t>();
        ranges.push_back(r);
      } else if (py::isinstance<py::int_>(k)) {
        auto i0 = k.cast<std::int64_t>();
        ranges.push_back(Range{i0, i0 == -1 ? std::nullopt : std::optional<std::int64_t>(i0 + 1), 1});
        squeeze_axes.push_back(static_cast<std::int64_t>(i));
      } else {
        throw py::type_error("Tensor indices must be integers or slices; use lamina.ops.take or boolean_mask");
      }
    }
    Tensor out = slice(x, ranges);
    return squeeze_axes.empty() ? out : squeeze(out, squeeze_axes);
  });
}

}  // namespace lamina::python
