#include "lamina/core/variable.hpp"

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"

namespace lamina {

Variable::Variable(std::string name, Tensor initial, bool trainable) : impl_(std::make_shared<Impl>()) {
  if (!initial.defined() || initial.is_symbolic())
    throw ValueError({.op = "Variable",
                      .problem = "a variable needs a concrete initial value",
                      .expected = "a tensor with values",
                      .found = initial.defined() ? "symbolic " + initial.spec().str() : "an undefined tensor",
                      .hint = "initialise variables from lm::zeros, an initializer, or data"});
  impl_->name = std::move(name);
  impl_->value = initial.without_mask();
  impl_->trainable = trainable;
}

const Variable::Impl& Variable::checked() const {
  if (!impl_)
    throw ValueError({.op = "Variable",
                      .problem = "used an empty Variable handle",
                      .expected = "a variable",
                      .found = "a default-constructed Variable",
                      .hint = "create the variable with Variable(name, initial_value) (layers do it in add_weight)"});
  return *impl_;
}

const std::string& Variable::name() const { return checked().name; }
bool Variable::trainable() const { return checked().trainable; }
void Variable::set_trainable(bool trainable) const {
  checked();
  impl_->trainable = trainable;
}
const Shape& Variable::shape() const { return checked().value.shape(); }
DType Variable::dtype() const { return checked().value.dtype(); }

Tensor Variable::value() const {
  const auto& impl = checked();
  notify_variable_read(impl.value, impl.trainable);
  return impl.value;
}

void Variable::assign(const Tensor& value) const {
  const auto& impl = checked();
  if (!value.defined() || value.is_symbolic())
    throw ValueError({.op = "assign",
                      .problem = "variable '" + impl.name + "' needs a concrete new value",
                      .expected = "a tensor with values, " + impl.value.spec().str(),
                      .found = value.defined() ? "symbolic " + value.spec().str() : "an undefined tensor",
                      .hint = "assign the result of running ops on data, not a symbolic model tensor"});
  if (value.shape() != impl.value.shape())
    throw ShapeError({.op = "assign",
                      .problem = "variable '" + impl.name + "' cannot change shape",
                      .expected = impl.value.shape().str(),
                      .found = value.shape().str(),
                      .hint = "a variable keeps its shape: assign a value of that shape, or create a new Variable"});
  if (value.dtype() != impl.value.dtype())
    throw DTypeError({.op = "assign",
                      .problem = "variable '" + impl.name + "' cannot change dtype",
                      .expected = std::string(dtype_name(impl.value.dtype())),
                      .found = std::string(dtype_name(value.dtype())),
                      .hint = "lm::cast the new value to " + std::string(dtype_name(impl.value.dtype())) + " first"});
  impl_->value = value.without_mask();
}

}  // namespace lamina
