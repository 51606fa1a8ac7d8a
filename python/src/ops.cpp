// lamina.ops: Keras 3's keras.ops names and signatures over Lamina's ops (plus boolean_mask,
// fill_masked and sequence_mask); every argument may be a Tensor, a NumPy array, a list or a
// number. lamina.random and lamina.utils.set_random_seed; lamina.GradientTape and Variable.
#include <algorithm>

#include "common.hpp"

namespace lamina::python {

namespace {

using py::arg;
Tensor T(py::handle x) { return to_tensor(x); }

Axes axes_of(py::handle axis) {
  if (axis.is_none()) return {};
  if (py::isinstance<py::int_>(axis)) return {axis.cast<std::int64_t>()};
  return axis.cast<std::vector<std::int64_t>>();
}

Tensor flat(const Tensor& x) { return reshape(x, Shape{-1}); }

template <class F>
void unary(py::module_& m, const char* name, F f) {
  m.def(
      name, [f](py::object x) { return f(T(x)); }, arg("x"));
}
template <class F>
void binary(py::module_& m, const char* name, F f) {
  m.def(
      name, [f](py::object a, py::object b) { return f(T(a), T(b)); }, arg("x1"), arg("x2"));
}
using Red = Tensor (*)(const Tensor&, const Axes&, bool);
void reduction(py::module_& m, const char* name, Red f) {
  m.def(
      name, [f](py::object x, py::object axis, bool keepdims) { return f(T(x), axes_of(axis), keepdims); }, arg("x"),
      arg("axis") = py::none(), arg("keepdims") = false);
}
using Arg = Tensor (*)(const Tensor&, std::int64_t, bool);
void arg_reduction(py::module_& m, const char* name, Arg f) {
  m.def(
      name,
      [f](py::object x, py::object axis, bool keepdims) {
        Tensor t = T(x);
        if (axis.is_none()) return f(flat(t), 0, false);  // Keras: over the flattened tensor
        return f(t, axis.cast<std::int64_t>(), keepdims);
      },
      arg("x"), arg("axis") = py::none(), arg("keepdims") = false);
}
using Scan = Tensor (*)(const Tensor&, std::int64_t, bool, bool);
void scan(py::module_& m, const char* name, Scan f) {
  m.def(
      name,
      [f](py::object x, py::object axis) {
        Tensor t = T(x);
        return axis.is_none() ? f(flat(t), 0, false, false) : f(t, axis.cast<std::int64_t>(), false, false);
      },
      arg("x"), arg("axis") = py::none());
}

}  // namespace

void init_ops(py::module_& root) {
  py::module_ m = root.def_submodule("ops", "Keras 3's keras.ops over Lamina's ops");
  using Bin = Tensor (*)(const Tensor&, const Tensor&);
  using Un = Tensor (*)(const Tensor&);
  binary(m, "add", static_cast<Bin>(&add));
  binary(m, "subtract", static_cast<Bin>(&sub));
  binary(m, "multiply", static_cast<Bin>(&mul));
  binary(m, "divide", static_cast<Bin>(&div));
  binary(m, "true_divide", static_cast<Bin>(&div));
  binary(m, "power", static_cast<Bin>(&lamina::pow));
  binary(m, "maximum", static_cast<Bin>(&maximum));
  binary(m, "minimum", static_cast<Bin>(&minimum));
  binary(m, "equal", static_cast<Bin>(&equal));
  binary(m, "not_equal", static_cast<Bin>(&not_equal));
  binary(m, "less", static_cast<Bin>(&less));
  binary(m, "less_equal", static_cast<Bin>(&less_equal));
  binary(m, "greater", static_cast<Bin>(&greater));
  binary(m, "greater_equal", static_cast<Bin>(&greater_equal));
  binary(m, "logical_and", static_cast<Bin>(&logical_and));
  binary(m, "logical_or", static_cast<Bin>(&logical_or));
  binary(m, "matmul", static_cast<Bin>(&matmul));
  binary(m, "dot", static_cast<Bin>(&dot));
  unary(m, "negative", static_cast<Un>(&neg));
  unary(m, "abs", static_cast<Un>(&lamina::abs));
  unary(m, "absolute", static_cast<Un>(&lamina::abs));
  unary(m, "exp", static_cast<Un>(&lamina::exp));
  unary(m, "log", static_cast<Un>(&lamina::log));
  unary(m, "sqrt", static_cast<Un>(&lamina::sqrt));
  unary(m, "square", static_cast<Un>(&square));
  unary(m, "tanh", static_cast<Un>(&lamina::tanh));
  unary(m, "sigmoid", static_cast<Un>(&sigmoid));
  unary(m, "relu", static_cast<Un>(&relu));
  unary(m, "softplus", static_cast<Un>(&softplus));
  unary(m, "erf", static_cast<Un>(&lamina::erf));
  unary(m, "round", static_cast<Un>(&lamina::round));
  unary(m, "floor", static_cast<Un>(&lamina::floor));
  unary(m, "sign", static_cast<Un>(&sign));
  unary(m, "logical_not", static_cast<Un>(&logical_not));
  unary(m, "full_mask", static_cast<Un>(&full_mask));
  m.def(
      "clip",
      [](py::object x, double lo, double hi) {
        Tensor t = T(x);
        return is_floating(t.dtype()) ? clip(t, lo, hi)
                                      : clip(t, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi));
      },
      arg("x"), arg("x_min"), arg("x_max"));

  reduction(m, "sum", static_cast<Red>(&sum));
  reduction(m, "mean", static_cast<Red>(&mean));
  reduction(m, "max", static_cast<Red>(&lamina::max));
  reduction(m, "min", static_cast<Red>(&lamina::min));
  reduction(m, "prod", static_cast<Red>(&prod));
  reduction(m, "logsumexp", static_cast<Red>(&logsumexp));
  reduction(m, "any", static_cast<Red>(&any));
  reduction(m, "all", static_cast<Red>(&all));
  m.def(
      "var", [](py::object x, py::object axis, bool keepdims) { return var(T(x), axes_of(axis), keepdims); }, arg("x"),
      arg("axis") = py::none(), arg("keepdims") = false);
  m.def(
      "std", [](py::object x, py::object axis, bool keepdims) { return lamina::std(T(x), axes_of(axis), keepdims); },
      arg("x"), arg("axis") = py::none(), arg("keepdims") = false);
  arg_reduction(m, "argmax", static_cast<Arg>(&argmax));
  arg_reduction(m, "argmin", static_cast<Arg>(&argmin));
  scan(m, "cumsum", static_cast<Scan>(&cumsum));
  scan(m, "cumprod", static_cast<Scan>(&cumprod));

  m.def(
      "where",
      [](py::object cond, py::object x1, py::object x2) {
        if (x1.is_none() || x2.is_none())
          throw ValueError({.op = "where",
                            .problem = "the one-argument form (indices of true entries) is not supported",
                            .expected = "where(condition, x1, x2)",
                            .found = "x1 or x2 is None",
                            .hint = "use lamina.ops.boolean_mask(x, condition) to select entries"});
        return where(T(cond), T(x1), T(x2));
      },
      arg("condition"), arg("x1") = py::none(), arg("x2") = py::none());
  m.def(
      "take",
      [](py::object x, py::object indices, py::object axis) {
        Tensor t = T(x);
        if (axis.is_none()) return gather(flat(t), T(indices), 0);
        return gather(t, T(indices), axis.cast<std::int64_t>());
      },
      arg("x"), arg("indices"), arg("axis") = py::none());
  m.def(
      "gather_nd", [](py::object x, py::object indices) { return gather_nd(T(x), T(indices)); }, arg("x"),
      arg("indices"));
  m.def(
      "boolean_mask", [](py::object x, py::object mask) { return boolean_mask(T(x), T(mask)); }, arg("x"), arg("mask"));
  m.def(
      "fill_masked", [](py::object x, double value) { return fill_masked(T(x), value); }, arg("x"), arg("value") = 0.0);
  m.def(
      "sequence_mask",
      [](py::object lengths, std::optional<std::int64_t> maxlen) { return sequence_mask(T(lengths), maxlen); },
      arg("lengths"), arg("maxlen") = py::none());
  m.def(
      "one_hot",
      [](py::object x, std::int64_t num_classes, py::object dtype) {
        return one_hot(T(x), num_classes, parse_dtype(dtype).value_or(Float32));
      },
      arg("x"), arg("num_classes"), arg("dtype") = py::none());
  m.def(
      "softmax", [](py::object x, std::int64_t axis) { return softmax(T(x), axis); }, arg("x"), arg("axis") = -1);
  m.def(
      "log_softmax", [](py::object x, std::int64_t axis) { return log_softmax(T(x), axis); }, arg("x"),
      arg("axis") = -1);
  m.def(
      "einsum",
      [](const std::string& eq, py::args operands) {
        TensorList ts;
        for (auto o : operands) ts.push_back(T(o));
        return einsum(eq, ts);
      },
      arg("subscripts"));

  m.def(
      "cast", [](py::object x, py::object dtype) { return cast(T(x), *parse_dtype(dtype)); }, arg("x"), arg("dtype"));
  m.def(
      "convert_to_tensor", [](py::object x, py::object dtype) { return to_tensor(x, parse_dtype(dtype)); }, arg("x"),
      arg("dtype") = py::none());
  m.def(
      "convert_to_numpy", [](py::object x) { return to_numpy(T(x)); }, arg("x"));
  m.def(
      "shape", [](py::object x) { return shape_tuple(T(x).shape()); }, arg("x"));
  m.def(
      "ndim", [](py::object x) { return T(x).rank(); }, arg("x"));
  m.def(
      "reshape", [](py::object x, py::object shape) { return reshape(T(x), parse_shape(shape)); }, arg("x"),
      arg("newshape"));
  m.def(
      "transpose", [](py::object x, py::object axes) { return transpose(T(x), axes_of(axes)); }, arg("x"),
      arg("axes") = py::none());
  m.def(
      "expand_dims", [](py::object x, std::int64_t axis) { return expand_dims(T(x), axis); }, arg("x"), arg("axis"));
  m.def(
      "squeeze", [](py::object x, py::object axis) { return squeeze(T(x), axes_of(axis)); }, arg("x"),
      arg("axis") = py::none());
  m.def(
      "concatenate", [](py::object xs, std::int64_t axis) { return concat(to_tensor_list(xs), axis); }, arg("xs"),
      arg("axis") = 0);
  m.def(
      "stack", [](py::object xs, std::int64_t axis) { return stack(to_tensor_list(xs), axis); }, arg("x"),
      arg("axis") = 0);
  m.def(
      "split",
      [](py::object x, py::object sections, std::int64_t axis) {
        if (py::isinstance<py::int_>(sections)) return split(T(x), sections.cast<std::int64_t>(), axis);
        // Keras (NumPy) gives split points; Lamina takes sizes.
        auto points = sections.cast<std::vector<std::int64_t>>();
        Tensor t = T(x);
        std::int64_t n = t.dim(normalize_axis(axis, t.rank(), "split"));
        std::vector<std::int64_t> sizes;
        std::int64_t prev = 0;
        for (auto p : points) sizes.push_back(p - prev), prev = p;
        sizes.push_back(n - prev);
        return split(t, sizes, axis);
      },
      arg("x"), arg("indices_or_sections"), arg("axis") = 0);
  m.def(
      "pad",
      [](py::object x, py::object pad_width, const std::string& mode, py::object constant_values) {
        if (mode != "constant")
          throw ValueError({.op = "pad",
                            .problem = "only mode=\"constant\" is supported",
                            .expected = "\"constant\"",
                            .found = "\"" + mode + "\"",
                            .hint = "pad with a constant value"});
        auto pw = pad_width.cast<std::vector<std::pair<std::int64_t, std::int64_t>>>();
        Tensor t = T(x);
        if (constant_values.is_none()) return pad(t, pw, 0);
        if (is_floating(t.dtype())) return pad(t, pw, constant_values.cast<double>());
        return pad(t, pw, constant_values.cast<std::int64_t>());
      },
      arg("x"), arg("pad_width"), arg("mode") = "constant", arg("constant_values") = py::none());
  m.def(
      "tile", [](py::object x, std::vector<std::int64_t> reps) { return tile(T(x), reps); }, arg("x"), arg("repeats"));
  m.def(
      "flip",
      [](py::object x, py::object axis) {
        Tensor t = T(x);
        Axes axes = axes_of(axis);
        if (axes.empty())
          for (std::int64_t i = 0; i < t.rank(); ++i) axes.push_back(i);
        return flip(t, axes);
      },
      arg("x"), arg("axis") = py::none());
  m.def(
      "broadcast_to", [](py::object x, py::object shape) { return broadcast_to(T(x), parse_shape(shape)); }, arg("x"),
      arg("shape"));
  m.def(
      "sort", [](py::object x, std::int64_t axis) { return sort(T(x), axis); }, arg("x"), arg("axis") = -1);
  m.def(
      "argsort", [](py::object x, std::int64_t axis) { return argsort(T(x), axis); }, arg("x"), arg("axis") = -1);

  auto dt = [](py::object d, DType fallback) { return parse_dtype(d).value_or(fallback); };
  m.def(
      "zeros", [dt](py::object shape, py::object dtype) { return zeros(parse_shape(shape), dt(dtype, Float32)); },
      arg("shape"), arg("dtype") = py::none());
  m.def(
      "ones", [dt](py::object shape, py::object dtype) { return ones(parse_shape(shape), dt(dtype, Float32)); },
      arg("shape"), arg("dtype") = py::none());
  m.def(
      "full",
      [](py::object shape, py::object value, py::object dtype) {
        Tensor v = to_tensor(value, parse_dtype(dtype));
        return broadcast_to(v, parse_shape(shape)) + zeros(parse_shape(shape), v.dtype());
      },
      arg("shape"), arg("fill_value"), arg("dtype") = py::none());
  m.def(
      "zeros_like", [](py::object x, py::object dtype) { return zeros_like(T(x), parse_dtype(dtype)); }, arg("x"),
      arg("dtype") = py::none());
  m.def(
      "ones_like", [](py::object x, py::object dtype) { return ones_like(T(x), parse_dtype(dtype)); }, arg("x"),
      arg("dtype") = py::none());
  m.def(
      "arange",
      [](double start, py::object stop, double step, py::object dtype) {
        double lo = stop.is_none() ? 0.0 : start, hi = stop.is_none() ? start : stop.cast<double>();
        auto d = parse_dtype(dtype);
        bool ints = std::floor(lo) == lo && std::floor(hi) == hi && std::floor(step) == step && (!d || is_integer(*d));
        if (ints && !d) d = Int32;
        return ints ? arange(static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi),
                             static_cast<std::int64_t>(step), d)
                    : arange(lo, hi, step, d ? d : std::optional<DType>(Float32));
      },
      arg("start"), arg("stop") = py::none(), arg("step") = 1.0, arg("dtype") = py::none());

  // lamina.random (keras.random) and lamina.utils.set_random_seed.
  py::module_ r = root.def_submodule("random", "keras.random");
  r.def(
      "normal",
      [](py::object shape, double mean, double stddev, py::object dtype, std::optional<std::uint64_t> seed) {
        return random_normal(
            parse_shape(shape),
            {.mean = mean, .stddev = stddev, .dtype = parse_dtype(dtype).value_or(Float32), .seed = seed});
      },
      arg("shape"), arg("mean") = 0.0, arg("stddev") = 1.0, arg("dtype") = py::none(), arg("seed") = py::none());
  r.def(
      "uniform",
      [](py::object shape, double minval, double maxval, py::object dtype, std::optional<std::uint64_t> seed) {
        return random_uniform(
            parse_shape(shape),
            {.minval = minval, .maxval = maxval, .dtype = parse_dtype(dtype).value_or(Float32), .seed = seed});
      },
      arg("shape"), arg("minval") = 0.0, arg("maxval") = 1.0, arg("dtype") = py::none(), arg("seed") = py::none());
  py::module_ u = root.def_submodule("utils", "keras.utils");
  u.def(
      "set_random_seed", [](std::uint64_t seed) { set_seed(seed); }, arg("seed"),
      "Seeds Lamina's global generator (weights, dropout, shuffling), as lm::set_seed.");
  u.def("clear_session", &clear_session);
  // lamina.config: Lamina's switches (lm::config()) and threads.
  py::module_ c = root.def_submodule("config", "Lamina's global settings");
  c.def(
      "set_strict_dtypes", [](bool on) { config().strict_dtypes = on; }, arg("enabled"),
      "Forbid implicit dtype promotion between tensors (a DTypeError instead).");
  c.def("strict_dtypes", [] { return config().strict_dtypes; });
  c.def("set_num_threads", &set_num_threads, arg("n"));
  c.def("num_threads", &num_threads);

  // lamina.Variable and lamina.GradientTape (the eager custom-training API).
  py::class_<Variable>(root, "Variable")
      .def(py::init([](py::object initial, std::string name, bool trainable) {
             return Variable(name.empty() ? "variable" : name, T(initial), trainable);
           }),
           arg("initializer"), arg("name") = "", arg("trainable") = true)
      .def_property_readonly("name", &Variable::name)
      .def_property_readonly("shape", [](const Variable& v) { return shape_tuple(v.shape()); })
      .def_property_readonly("dtype", [](const Variable& v) { return std::string(dtype_name(v.dtype())); })
      .def_property("trainable", &Variable::trainable, &Variable::set_trainable)
      .def_property_readonly("value", &Variable::value)
      .def("numpy", [](const Variable& v) { return to_numpy(v.value()); })
      .def(
          "__array__",
          [](const Variable& v, py::object dtype) {
            py::object a = to_numpy(v.value());
            return dtype.is_none() ? a : a.attr("astype")(dtype);
          },
          arg("dtype") = py::none())
      .def("assign", [](const Variable& v, py::object value) { v.assign(T(value)); })
      .def("__repr__", [](const Variable& v) { return "<Variable '" + v.name() + "' " + v.value().str() + ">"; });

  py::class_<GradientTape>(root, "GradientTape")
      .def(py::init([](bool persistent, bool watch) { return new GradientTape({.watch_accessed_variables = watch}); }),
           arg("persistent") = false, arg("watch_accessed_variables") = true)
      .def(
          "__enter__", [](GradientTape& t) -> GradientTape& { return t; }, py::return_value_policy::reference)
      .def("__exit__",
           [](GradientTape& t, py::args) {
             // Recording stops at the end of the with block (Keras); gradient() still works after.
             auto& recs = detail::active_recorders();
             recs.erase(std::remove(recs.begin(), recs.end(), static_cast<Recorder*>(&t)), recs.end());
             return false;
           })
      .def("watch",
           [](GradientTape& t, py::object x) {
             if (py::isinstance<Variable>(x))
               t.watch(x.cast<Variable>());
             else
               t.watch(T(x));
           })
      .def(
          "gradient",
          [](GradientTape& t, py::object target, py::object sources) -> py::object {
            bool single = py::isinstance<Variable>(sources) || py::isinstance<Tensor>(sources);
            py::list items;
            if (single)
              items.append(sources);
            else
              for (auto s : sources) items.append(s);
            std::vector<Variable> vars;
            TensorList tensors;
            for (auto s : items) {
              if (py::isinstance<Variable>(s))
                vars.push_back(s.cast<Variable>());
              else
                tensors.push_back(T(s));
            }
            if (!vars.empty() && !tensors.empty())
              throw py::type_error("GradientTape.gradient: sources mix Variables and Tensors");
            auto grads = vars.empty() ? t.gradient(T(target), tensors) : t.gradient(T(target), vars);
            py::list out;
            for (auto& g : grads) out.append(g ? py::cast(*g) : py::object(py::none()));
            return single ? out[0] : py::object(out);
          },
          arg("target"), arg("sources"));
}

}  // namespace lamina::python
