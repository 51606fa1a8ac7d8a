// Python code inside Lamina layers: lamina.layers.Lambda with a Python function (traced on the
// symbolic inputs at build time by Lamina's LambdaLayer, so shapes are inferred and errors name
// the layer), custom lamina.layers.Layer subclasses (PyLayer), and
// lamina.saving.register_function, which gives a function the name saved models record.
// Every entry from C++ into Python takes the GIL (fit and predict run without it).
#include <map>

#include "errors.hpp"
#include "py_layer.hpp"

namespace lamina::python {

namespace {

using namespace lamina::layers;

bool interpreter_alive() { return Py_IsInitialized() && !_Py_IsFinalizing(); }

std::map<PyObject*, std::string>& registered_functions() {
  static std::map<PyObject*, std::string> names;  // the functions are kept alive by keep()
  return names;
}

py::object one_or_list(const TensorList& ts, bool as_list) {
  if (!as_list && ts.size() == 1) return ts[0].defined() ? py::cast(ts[0]) : py::object(py::none());
  py::list out;
  for (const auto& t : ts) out.append(t.defined() ? py::cast(t) : py::object(py::none()));
  return out;
}

// The result of a Python body: a tensor-like, or None (an undefined Tensor, which Lamina
// reports naming the layer and the input shape).
Tensor result_tensor(py::handle r) { return r.is_none() ? Tensor() : to_tensor(r); }

LambdaListFn wrap_function(py::function f, py::dict arguments) {
  auto fn = keep(f);
  auto args = keep(arguments);
  return [fn, args](const TensorList& in) -> Tensor {
    py::gil_scoped_acquire gil;
    try {
      py::dict kwargs = args->cast<py::dict>();
      return result_tensor((*fn)(one_or_list(in, false), **kwargs));
    } catch (py::error_already_set& e) {
      rethrow_as_cpp(e);
    }
  };
}

LambdaMaskFn wrap_mask(py::function f) {
  auto fn = keep(f);
  return [fn](const TensorList& inputs, const TensorList& masks) -> Tensor {
    py::gil_scoped_acquire gil;
    try {
      return result_tensor((*fn)(one_or_list(inputs, false), one_or_list(masks, false)));
    } catch (py::error_already_set& e) {
      rethrow_as_cpp(e);
    }
  };
}

py::object shapes_of(const std::vector<TensorSpec>& specs) {
  if (specs.size() == 1) return shape_tuple(specs[0].shape);
  py::list out;
  for (const auto& s : specs) out.append(shape_tuple(s.shape));
  return out;
}

Initializer python_initializer(py::object init, DType dtype) {
  if (init.is_none()) return InitializerSpec(is_floating(dtype) ? "glorot_uniform" : "zeros").fn();
  if (py::isinstance<py::str>(init)) return InitializerSpec(init.cast<std::string>()).fn();
  auto fn = keep(init);  // a callable (shape, dtype) -> array
  return [fn](const Shape& shape, DType dt, Generator&) -> Tensor {
    py::gil_scoped_acquire gil;
    try {
      return to_tensor((*fn)(shape_tuple(shape), std::string(dtype_name(dt))), dt);
    } catch (py::error_already_set& e) {
      rethrow_as_cpp(e);
    }
  };
}

}  // namespace

std::shared_ptr<py::object> keep(py::handle obj) {
  return std::shared_ptr<py::object>(new py::object(py::reinterpret_borrow<py::object>(obj)), [](py::object* p) {
    if (!interpreter_alive()) {  // at exit: the object goes with the interpreter
      p->release();
      delete p;
      return;
    }
    py::gil_scoped_acquire gil;
    delete p;
  });
}

void PyLayer::set_owner(py::handle self) {
  if (!owner_) owner_ = keep(self);
}

py::object PyLayer::owner() const {
  if (!owner_)
    throw ValueError({.problem = "the Python layer object is gone",
                      .expected = "a layer created from Python and called from Python first",
                      .found = "a PyLayer without its Python object",
                      .hint = "call the layer on a tensor from Python (layer(x)) before using it elsewhere"});
  return *owner_;
}

void PyLayer::on_build(const std::vector<TensorSpec>& input_specs) {
  py::gil_scoped_acquire gil;
  try {
    owner().attr("build")(shapes_of(input_specs));
  } catch (py::error_already_set& e) {
    rethrow_as_cpp(e);
  }
}

TensorList PyLayer::call(const TensorList& inputs, const TensorList& masks, bool training) {
  py::gil_scoped_acquire gil;
  try {
    py::object self = owner();
    if (call_kwargs_ < 0) {  // which of Keras's optional call arguments call() declares
      py::object params = py::module_::import("inspect").attr("signature")(self.attr("call")).attr("parameters");
      call_kwargs_ = (params.contains("mask") ? 1 : 0) | (params.contains("training") ? 2 : 0);
    }
    py::dict kwargs;
    if (call_kwargs_ & 1) kwargs["mask"] = one_or_list(masks, false);
    if (call_kwargs_ & 2) kwargs["training"] = training;
    py::object r = self.attr("call")(one_or_list(inputs, false), **kwargs);
    TensorList outs;
    if (py::isinstance<py::list>(r) || py::isinstance<py::tuple>(r)) {
      for (auto x : r) outs.push_back(result_tensor(x));
    } else {
      outs.push_back(result_tensor(r));
    }
    return outs;
  } catch (py::error_already_set& e) {
    rethrow_as_cpp(e);
  }
}

std::optional<TensorList> PyLayer::compute_mask(const TensorList& inputs, const TensorList& masks) {
  py::gil_scoped_acquire gil;
  try {
    py::object self = owner();
    if (!py::hasattr(self, "compute_mask")) return std::nullopt;  // masks follow the ops (Lamina's rule)
    py::object r = self.attr("compute_mask")(one_or_list(inputs, false), one_or_list(masks, false));
    TensorList out;
    if (py::isinstance<py::list>(r) || py::isinstance<py::tuple>(r)) {
      for (auto x : r) out.push_back(result_tensor(x));
    } else {
      out.push_back(result_tensor(r));
    }
    return out;
  } catch (py::error_already_set& e) {
    rethrow_as_cpp(e);
  }
}

bool PyLayer::supports_masking() const {
  py::gil_scoped_acquire gil;
  if (!owner_) return false;
  return py::bool_(py::getattr(*owner_, "supports_masking", py::bool_(false)));
}

Json PyLayer::get_config() const {
  Json c = Layer::get_config();
  py::gil_scoped_acquire gil;
  // The Python class's get_config, if it overrides the base one (which gives Layer's fields).
  py::object base = py::module_::import("lamina._core").attr("layers").attr("Layer").attr("get_config");
  py::object own = owner_ ? py::object(py::type::of(*owner_).attr("get_config")) : base;
  if (!own.is(base)) {
    try {
      Json extra = to_json((*owner_).attr("get_config")());
      for (auto& [k, v] : extra.items()) c[k] = v;
    } catch (py::error_already_set& e) {
      rethrow_as_cpp(e);
    }
  }
  return c;
}

Variable PyLayer::add_python_weight(const std::string& name, const Shape& shape, py::object initializer, bool trainable,
                                    DType dtype) {
  return add_weight(name, shape, python_initializer(initializer, dtype), trainable, dtype);
}

LayerRef as_layer(py::handle obj) {
  if (!py::isinstance<Layer>(obj))
    throw DTypeError({.op = "layer",
                      .problem = "not a layer",
                      .expected = "a lamina.layers.Layer (or a lamina.Model)",
                      .found = py::str(py::type::of(obj).attr("__name__")).cast<std::string>(),
                      .hint = "wrap a function in lamina.layers.Lambda(fn)"});
  auto layer = obj.cast<std::shared_ptr<Layer>>();
  if (auto* p = dynamic_cast<PyLayer*>(layer.get())) p->set_owner(obj);
  return LayerRef(layer);
}

void init_lambda(py::module_& root) {
  py::module_ m = root.attr("layers").cast<py::module_>();
  py::class_<LambdaLayer, Layer, std::shared_ptr<LambdaLayer>>(m, "Lambda", py::dynamic_attr())
      .def(py::init([](py::function function, py::object output_shape, py::object mask, py::object arguments,
                       py::object name) {
             LambdaOptions o;
             if (!output_shape.is_none()) o.output_shape = parse_shape(output_shape);
             if (!mask.is_none()) {
               if (py::isinstance<py::bool_>(mask))
                 o.mask = LambdaMask(mask.cast<bool>());
               else
                 o.mask = LambdaMask(wrap_mask(mask.cast<py::function>()));
             }
             if (!name.is_none()) o.name = name.cast<std::string>();
             auto it = registered_functions().find(function.ptr());
             if (it != registered_functions().end() && arguments.is_none())
               return std::make_shared<LambdaLayer>(it->second, std::move(o));
             py::dict args = arguments.is_none() ? py::dict() : arguments.cast<py::dict>();
             return std::make_shared<LambdaLayer>(wrap_function(function, args), std::move(o));
           }),
           py::arg("function"), py::arg("output_shape") = py::none(), py::arg("mask") = py::none(),
           py::arg("arguments") = py::none(), py::arg("name") = py::none());

  // Custom layers: the methods Python subclasses of lamina.layers.Layer inherit.
  auto base_cls = py::reinterpret_borrow<py::class_<Layer, std::shared_ptr<Layer>>>(m.attr("Layer"));
  base_cls.def(
      "build",
      [](py::object self, py::object input_shape) {
        LayerRef l = as_layer(self);
        if (dynamic_cast<PyLayer*>(l.ptr().get())) return;  // a Python layer's default build: no weights
        std::vector<TensorSpec> specs{TensorSpec{parse_shape(input_shape), Float32}};
        l->build(specs);
      },
      py::arg("input_shape"));
  base_cls.def("get_config", [](py::object self) {
    LayerRef l = as_layer(self);
    if (auto* p = dynamic_cast<PyLayer*>(l.ptr().get())) return from_json(p->Layer::get_config());
    return from_json(l->get_config());
  });
  base_cls.def(
      "add_weight",
      [](py::object self, py::object shape, py::object initializer, py::object dtype, bool trainable, py::object name) {
        LayerRef l = as_layer(self);
        auto* p = dynamic_cast<PyLayer*>(l.ptr().get());
        if (!p) throw py::type_error("add_weight is for Python layers (subclasses of lamina.layers.Layer)");
        DType dt = parse_dtype(dtype).value_or(Float32);
        std::string n = name.is_none() ? "weight_" + std::to_string(l->weights().size()) : name.cast<std::string>();
        return p->add_python_weight(n, shape.is_none() ? Shape{} : parse_shape(shape), initializer, trainable, dt);
      },
      py::arg("shape") = py::none(), py::arg("initializer") = py::none(), py::arg("dtype") = py::none(),
      py::arg("trainable") = true, py::arg("name") = py::none());

  py::module_ saving = root.def_submodule("saving", "keras.saving");
  saving.def(
      "register_layer",
      [](py::object cls, py::object name) {
        // A Python Layer class by its type name (the class name), so load_model can rebuild it:
        // cls(**config) with the fields its get_config() wrote.
        std::string type = name.is_none() ? cls.attr("__name__").cast<std::string>() : name.cast<std::string>();
        auto held = keep(cls);
        register_layer(type, [held](const Json& config) -> LayerRef {
          py::gil_scoped_acquire gil;
          try {
            py::dict kwargs = from_json(config);
            if (kwargs.contains("type")) PyDict_DelItemString(kwargs.ptr(), "type");
            return as_layer((*held)(**kwargs));
          } catch (py::error_already_set& e) {
            rethrow_as_cpp(e);
          }
        });
        return cls;
      },
      py::arg("cls"), py::arg("name") = py::none());
  saving.def(
      "register_function",
      [](py::object name) {
        return py::cpp_function([name](py::function f) {
          std::string n = name.is_none() ? f.attr("__name__").cast<std::string>() : name.cast<std::string>();
          register_lambda(n, wrap_function(f, py::dict()));
          registered_functions()[f.ptr()] = n;
          return f;
        });
      },
      py::arg("name") = py::none(),
      "Decorator: registers a Lambda function under `name` (default: its __name__), so saved models record "
      "the name and load_model finds the function.");
}

}  // namespace lamina::python
