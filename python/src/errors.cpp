// Lamina's typed errors as Python exceptions carrying the same messages:
//   lamina.Error            base of all of them (Exception)
//   lamina.ShapeError       (lamina.Error, ValueError)
//   lamina.DTypeError       (lamina.Error, TypeError)
//   lamina.MaskError        (lamina.Error, ValueError)
//   lamina.GradientError    (lamina.Error, ValueError)
//   lamina.ValueError       (lamina.Error, ValueError)
//   lamina.IOError          (lamina.Error, OSError)
// Each instance also has .op, .problem, .expected, .found, .hint and .where. A capsule holding
// the C++ exception rides along, so an error raised inside a Python Lambda or callback is
// rethrown into C++ as the very same typed error (and comes out in Python unchanged).
#include "errors.hpp"

#include <Python.h>

#include "common.hpp"

namespace lamina::python {

namespace {

PyObject* g_classes[6] = {};  // indexed by ErrorKind; live as long as the interpreter

PyObject* make_class(py::module_& m, const char* name, PyObject* base, PyObject* builtin, const char* doc) {
  std::string qualified = std::string("lamina.") + name;
  PyObject* bases = builtin ? PyTuple_Pack(2, base, builtin) : PyTuple_Pack(1, base);
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  Py_DECREF(bases);
  if (!cls) throw py::error_already_set();
  m.add_object(name, py::handle(cls));  // add_object steals nothing: keep our reference too
  return cls;
}

void capsule_delete(PyObject* capsule) {
  delete static_cast<std::exception_ptr*>(PyCapsule_GetPointer(capsule, "lamina.cpp_error"));
}

}  // namespace

void raise_python(const Error& e, std::exception_ptr original) {
  PyObject* cls = g_classes[static_cast<int>(e.kind())];
  py::object instance = py::reinterpret_steal<py::object>(PyObject_CallFunction(cls, "s", e.what()));
  if (!instance) throw py::error_already_set();
  const ErrorDetails& d = e.details();
  instance.attr("op") = d.op;
  instance.attr("problem") = d.problem;
  instance.attr("expected") = d.expected;
  instance.attr("found") = d.found;
  instance.attr("hint") = d.hint;
  instance.attr("where") = e.where();
  PyObject* capsule = PyCapsule_New(new std::exception_ptr(original), "lamina.cpp_error", capsule_delete);
  instance.attr("_cpp_error") = py::reinterpret_steal<py::object>(capsule);
  PyErr_SetObject(cls, instance.ptr());
}

void rethrow_as_cpp(const py::error_already_set& e) {
  const py::object& value = e.value();
  if (value && py::hasattr(value, "_cpp_error")) {
    py::object capsule = value.attr("_cpp_error");
    if (PyCapsule_IsValid(capsule.ptr(), "lamina.cpp_error")) {
      auto* original = static_cast<std::exception_ptr*>(PyCapsule_GetPointer(capsule.ptr(), "lamina.cpp_error"));
      std::rethrow_exception(*original);
    }
  }
  throw;
}

void init_errors(py::module_& m) {
  PyObject* base = make_class(m, "Error", PyExc_Exception, nullptr, "Base of Lamina's errors.");
  g_classes[static_cast<int>(ErrorKind::Shape)] =
      make_class(m, "ShapeError", base, PyExc_ValueError, "Shapes that do not fit (a ValueError).");
  g_classes[static_cast<int>(ErrorKind::DType)] =
      make_class(m, "DTypeError", base, PyExc_TypeError, "A dtype an op does not take (a TypeError).");
  g_classes[static_cast<int>(ErrorKind::Mask)] =
      make_class(m, "MaskError", base, PyExc_ValueError, "A mask that does not fit (a ValueError).");
  g_classes[static_cast<int>(ErrorKind::Gradient)] =
      make_class(m, "GradientError", base, PyExc_ValueError, "A cut gradient path (a ValueError).");
  g_classes[static_cast<int>(ErrorKind::Value)] =
      make_class(m, "ValueError", base, PyExc_ValueError, "A bad value or argument (a ValueError).");
  g_classes[static_cast<int>(ErrorKind::IO)] =
      make_class(m, "IOError", base, PyExc_OSError, "A file that cannot be read or written (an OSError).");

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      raise_python(e, p);
    }
  });
}

}  // namespace lamina::python
