#pragma once
// Variable: the one mutable thing -- a named weight whose value optimizers replace.
// (It lives in core/ rather than layers/ because tapes and optimizers need it too.)
#include <memory>
#include <string>

#include "lamina/core/tensor.hpp"

namespace lamina {

class Variable {
 public:
  Variable() = default;
  Variable(std::string name, Tensor initial, bool trainable = true);

  bool defined() const { return impl_ != nullptr; }
  const std::string& name() const;
  bool trainable() const;
  // A Variable is a handle: copies share the weight, so changing it is not a change of the handle.
  void set_trainable(bool trainable) const;
  // The current value. Reading it under a GradientTape watches it (if trainable).
  Tensor value() const;
  // Replaces the value; shape and dtype must stay the same (ShapeError/DTypeError).
  void assign(const Tensor& value) const;
  const Shape& shape() const;
  DType dtype() const;
  // Identity: two handles to the same variable compare equal.
  friend bool operator==(const Variable& a, const Variable& b) { return a.impl_ == b.impl_; }

 private:
  struct Impl {
    std::string name;
    Tensor value;
    bool trainable = true;
  };
  const Impl& checked() const;
  std::shared_ptr<Impl> impl_;
};

}  // namespace lamina
