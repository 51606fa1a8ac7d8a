// Between C++ errors and Python exceptions (errors.cpp).
#pragma once
#include <exception>

#include "common.hpp"

namespace lamina::python {

// Sets the Python error for a Lamina error (the translator registered by init_errors).
void raise_python(const Error& e, std::exception_ptr original);

// Inside a catch (py::error_already_set&) with the GIL held: a Python exception that came from
// a Lamina error is rethrown as that C++ error; any other is rethrown as it is.
[[noreturn]] void rethrow_as_cpp(const py::error_already_set& e);

}  // namespace lamina::python
