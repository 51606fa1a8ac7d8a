#pragma once
// Tensor: a cheap handle to immutable data (shape, dtype, contiguous storage), an
// optional mask, and -- for symbolic tensors -- the graph node that produces it.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "lamina/core/dtype.hpp"
#include "lamina/core/shape.hpp"
#include "lamina/core/storage.hpp"

namespace lamina {

class Tensor;
using TensorList = std::vector<Tensor>;

// What is known about a tensor before it has values: shape (unknown dims allowed),
// dtype and the rank of its mask (-1 when unmasked). A mask's shape is the leading
// `mask_rank` dims of the tensor's shape.
struct TensorSpec {
  Shape shape;
  DType dtype = Float32;
  std::int64_t mask_rank = -1;

  bool has_mask() const { return mask_rank >= 0; }
  Shape mask_shape() const { return shape.prefix(mask_rank); }
  std::string str() const;  // "float32 (None, 10, 32) mask (None, 10)"
  friend bool operator==(const TensorSpec&, const TensorSpec&) = default;
};

// An op applied to symbolic tensors. `replay` recomputes the outputs from concrete
// inputs given in the same order (the functional Model evaluates graphs with it).
struct SymbolicNode {
  std::string op;               // op name, "layer" for layer calls, "input" for model inputs
  std::string name;             // layer or input name ("" for plain ops)
  std::shared_ptr<void> owner;  // keeps the producing layer alive (layer calls)
  std::string where;            // error context at creation
  TensorList inputs;            // symbolic or concrete (captured constants)
  std::vector<TensorSpec> output_specs;  // what the outputs were inferred to be
  std::string attrs;                     // the op's arguments besides its inputs, as JSON ("" if none)
  std::function<TensorList(const TensorList&)> replay;
};

struct TensorImpl {
  Shape shape;
  DType dtype = Float32;
  std::shared_ptr<Storage> storage;  // null for symbolic tensors
  std::int64_t mask_rank = -1;
  std::shared_ptr<TensorImpl> mask;          // concrete Bool mask (concrete tensors only)
  std::shared_ptr<const SymbolicNode> node;  // producer (symbolic tensors; null for inputs)
  int output_index = 0;
  std::uint64_t id = 0;
};

class Tensor {
 public:
  // No tensor at all (the analogue of Python's None): defined() is false.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  bool is_symbolic() const;

  const Shape& shape() const;
  DType dtype() const;
  std::int64_t rank() const { return shape().rank(); }
  std::int64_t dim(std::int64_t axis) const { return shape().dim(axis); }
  std::int64_t numel() const;  // throws ValueError for unknown dims
  TensorSpec spec() const;

  // ---- masks (DESIGN.md section 5) ----
  bool has_mask() const;
  std::int64_t mask_rank() const;
  // The Bool mask (shape = leading mask_rank dims), or an undefined tensor when unmasked.
  Tensor mask() const;
  // Same values with mask `m` (Bool; its shape must be a prefix of this shape).
  Tensor with_mask(const Tensor& m) const;
  Tensor without_mask() const;

  // ---- values (concrete tensors only) ----
  template <class T>
  const T* data() const;  // T must match dtype()
  const void* raw_data() const;
  // The single element converted to T; ValueError unless numel() == 1.
  template <class T>
  T item() const;
  // All elements converted to T, row-major.
  template <class T>
  std::vector<T> to_vector() const;
  // Truthiness of a one-element tensor, as in NumPy/PyTorch: `if (lm::sum(x) > 0) ...`.
  explicit operator bool() const;

  std::uint64_t id() const;
  const std::shared_ptr<const SymbolicNode>& node() const;
  int output_index() const;
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  std::string str() const;

 private:
  const TensorImpl& checked() const;
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::ostream& operator<<(std::ostream& os, const Shape& s);
std::ostream& operator<<(std::ostream& os, DType dt);

// ---- library-internal construction -------------------------------------------------
namespace detail {
std::uint64_t next_tensor_id();
// A concrete tensor with uninitialised storage (kernels fill it through mutable_data).
Tensor empty(const Shape& shape, DType dtype);
template <class T>
T* mutable_data(const Tensor& t);  // only for tensors a kernel just created
void* mutable_raw_data(const Tensor& t);
// A concrete tensor sharing `storage` (reshape, with_mask), with an optional mask.
Tensor share(const Tensor& source, const Shape& shape, const Tensor& mask);
// Attaches `mask` (or nothing, when undefined) to a tensor a kernel just created and
// that nobody else holds yet; no copy, same id.
void set_mask(const Tensor& fresh, const Tensor& mask);
// Symbolic tensor of `spec` produced by output `index` of `node` (null node: a graph input).
Tensor symbolic(const TensorSpec& spec, std::shared_ptr<const SymbolicNode> node, int index);
}  // namespace detail

}  // namespace lamina
