#include "lamina/core/tensor.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstring>

#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"

namespace lamina {

std::string TensorSpec::str() const {
  std::string s = fmt::format("{} {}", dtype_name(dtype), shape.str());
  if (has_mask()) s += " mask " + mask_shape().str();
  return s;
}

const TensorImpl& Tensor::checked() const {
  if (!impl_)
    throw ValueError({.problem = "used a Tensor that holds nothing (a default-constructed Tensor)",
                      .expected = "a tensor",
                      .found = "an undefined Tensor (like Python's None)",
                      .hint = "make sure every code path returns or assigns a tensor"});
  return *impl_;
}

bool Tensor::is_symbolic() const { return checked().storage == nullptr; }
const Shape& Tensor::shape() const { return checked().shape; }
DType Tensor::dtype() const { return checked().dtype; }
std::int64_t Tensor::numel() const { return shape().numel(); }
TensorSpec Tensor::spec() const { return {checked().shape, impl_->dtype, impl_->mask_rank}; }
bool Tensor::has_mask() const { return checked().mask_rank >= 0; }
std::int64_t Tensor::mask_rank() const { return checked().mask_rank; }
std::uint64_t Tensor::id() const { return checked().id; }
const std::shared_ptr<const SymbolicNode>& Tensor::node() const { return checked().node; }
int Tensor::output_index() const { return checked().output_index; }

const void* Tensor::raw_data() const {
  const auto& impl = checked();
  if (!impl.storage)
    throw ValueError({.problem = "a symbolic tensor has no values",
                      .expected = "a concrete tensor",
                      .found = "symbolic " + spec().str(),
                      .hint = "symbolic tensors describe a model before it runs; call the model on data "
                              "(or use a Lambda, which runs your function on probe values)"});
  return impl.storage->data();
}

template <class T>
const T* Tensor::data() const {
  if (dtype() != dtype_of_v<T>)
    throw DTypeError({.op = "data",
                      .problem = "element type requested does not match the tensor's dtype",
                      .expected = std::string(dtype_name(dtype())),
                      .found = std::string(dtype_name(dtype_of_v<T>)),
                      .hint = "use to_vector<T>() or item<T>() to convert, or lm::cast first"});
  return static_cast<const T*>(raw_data());
}

template <class T>
T Tensor::item() const {
  if (numel() != 1)
    throw ValueError({.op = "item",
                      .problem = "item() needs a tensor with exactly one element",
                      .expected = "1 element",
                      .found = fmt::format("{} elements, shape {}", numel(), shape().str()),
                      .hint = "reduce the tensor first (lm::sum, lm::any, ...)"});
  return to_vector<T>()[0];
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  const void* p = raw_data();
  auto n = static_cast<std::size_t>(numel());
  std::vector<T> out(n);
  visit_dtype(dtype(), [&](auto tag) {
    using S = decltype(tag);
    const S* src = static_cast<const S*>(p);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(src[i]);
  });
  return out;
}

Tensor::operator bool() const {
  if (numel() != 1)
    throw ValueError({.problem = "the truth value of a tensor with more than one element is ambiguous",
                      .expected = "a one-element tensor in a condition",
                      .found = fmt::format("shape {}", shape().str()),
                      .hint = "use lm::any(x) or lm::all(x) to reduce it to one element"});
  return item<double>() != 0.0;
}

#define LAMINA_INSTANTIATE(T)                \
  template const T* Tensor::data<T>() const; \
  template T Tensor::item<T>() const;        \
  template std::vector<T> Tensor::to_vector<T>() const;
LAMINA_INSTANTIATE(bool)
LAMINA_INSTANTIATE(std::int32_t)
LAMINA_INSTANTIATE(std::int64_t)
LAMINA_INSTANTIATE(float)
LAMINA_INSTANTIATE(double)
#undef LAMINA_INSTANTIATE

// ---- masks ---------------------------------------------------------------------------

Tensor Tensor::mask() const {
  const auto& impl = checked();
  if (impl.mask_rank < 0) return {};
  if (impl.mask) return Tensor(impl.mask);
  // Symbolic: the mask is itself a symbolic tensor computed from this one.
  TensorSpec spec{impl.shape.prefix(impl.mask_rank), Bool, -1};
  return symbolic_op("mask", {*this}, spec, [](const TensorList& in) { return in[0].mask(); });
}

namespace {
void check_mask_for(const Tensor& x, const Tensor& m) {
  if (m.dtype() != Bool)
    throw DTypeError({.op = "with_mask",
                      .problem = "a mask must be a Bool tensor",
                      .expected = "bool",
                      .found = std::string(dtype_name(m.dtype())),
                      .hint = "convert it explicitly: lm::cast(mask, lm::Bool) or (mask != 0)"});
  const Shape& xs = x.shape();
  const Shape& ms = m.shape();
  bool ok = ms.rank() <= xs.rank();
  for (std::int64_t i = 0; ok && i < ms.rank(); ++i) ok = ms[i] == xs[i] || ms[i] < 0 || xs[i] < 0;
  if (!ok)
    throw ShapeError({.op = "with_mask",
                      .problem = "a mask's shape must be a leading prefix of the tensor's shape",
                      .expected = fmt::format("a prefix of {}, e.g. {}", xs.str(), xs.prefix(ms.rank()).str()),
                      .found = ms.str(),
                      .hint = "a (batch, time) mask fits a (batch, time, features) tensor"});
}
}  // namespace

Tensor Tensor::with_mask(const Tensor& m) const {
  OpScope scope("with_mask");
  if (!m.defined()) return without_mask();
  check_mask_for(*this, m);
  if (is_symbolic() || m.is_symbolic()) {
    TensorSpec spec{shape(), dtype(), m.rank()};
    return symbolic_op("with_mask", {*this, m}, spec, [](const TensorList& in) { return in[0].with_mask(in[1]); });
  }
  Tensor out = detail::share(*this, shape(), m.without_mask());
  record_gradient("with_mask", {*this}, {out},
                  [](const TensorList& g, const std::vector<bool>&) { return TensorList{g[0]}; });
  return out;
}

Tensor Tensor::without_mask() const {
  if (!has_mask()) return *this;
  OpScope scope("without_mask");
  if (is_symbolic()) {
    TensorSpec spec{shape(), dtype(), -1};
    return symbolic_op("without_mask", {*this}, spec, [](const TensorList& in) { return in[0].without_mask(); });
  }
  Tensor out = detail::share(*this, shape(), Tensor());
  record_gradient("without_mask", {*this}, {out},
                  [](const TensorList& g, const std::vector<bool>&) { return TensorList{g[0]}; });
  return out;
}

// ---- internal construction -------------------------------------------------------------

namespace detail {

std::uint64_t next_tensor_id() {
  static std::atomic<std::uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

Tensor empty(const Shape& shape, DType dtype) {
  for (auto d : shape)
    if (d < 0)
      throw ShapeError({.problem = "cannot create a tensor with a negative or unknown dimension",
                        .expected = "dimensions >= 0",
                        .found = shape.str(),
                        .hint = "check the shape arithmetic that produced this shape"});
  // numel() raises on an element count that overflows int64; the byte count can still
  // overflow size_t (2^61 float64s), which would allocate a few bytes for a huge tensor.
  std::size_t nbytes = 0;
  if (__builtin_mul_overflow(static_cast<std::size_t>(shape.numel()), itemsize(dtype), &nbytes))
    throw ValueError({.problem = "out of memory: the tensor's size in bytes overflows a 64-bit integer",
                      .expected = "a tensor the machine can hold",
                      .found = fmt::format("{} {} ({} elements of {} bytes)", dtype_name(dtype), shape.str(),
                                           shape.numel(), itemsize(dtype)),
                      .hint = "check the shape arithmetic that produced this shape"});
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = Storage::allocate(nbytes);
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

template <class T>
T* mutable_data(const Tensor& t) {
  return static_cast<T*>(const_cast<void*>(static_cast<const void*>(t.data<T>())));
}
template bool* mutable_data<bool>(const Tensor&);
template std::int32_t* mutable_data<std::int32_t>(const Tensor&);
template std::int64_t* mutable_data<std::int64_t>(const Tensor&);
template float* mutable_data<float>(const Tensor&);
template double* mutable_data<double>(const Tensor&);

void* mutable_raw_data(const Tensor& t) { return const_cast<void*>(t.raw_data()); }

Tensor share(const Tensor& source, const Shape& shape, const Tensor& mask) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = source.dtype();
  impl->storage = source.impl()->storage;
  if (mask.defined()) {
    impl->mask_rank = mask.rank();
    impl->mask = mask.impl();
  }
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

void set_mask(const Tensor& fresh, const Tensor& mask) {
  auto& impl = *fresh.impl();
  if (!mask.defined()) {
    impl.mask_rank = -1;
    impl.mask.reset();
    return;
  }
  impl.mask_rank = mask.rank();
  impl.mask = mask.without_mask().impl();
}

Tensor symbolic(const TensorSpec& spec, std::shared_ptr<const SymbolicNode> node, int index) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = spec.shape;
  impl->dtype = spec.dtype;
  impl->mask_rank = spec.mask_rank;
  impl->node = std::move(node);
  impl->output_index = index;
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

}  // namespace detail
}  // namespace lamina
