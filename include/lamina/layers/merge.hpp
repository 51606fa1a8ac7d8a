#pragma once
// Merge layers: combine a TensorList into one tensor.
//
// Elementwise merges (Add, Subtract, Multiply, Average, Maximum, Minimum) follow Keras's
// shape rule: the inputs share the batch axis (known batch sizes must be equal), an input
// of lower rank gets size-1 axes inserted after the batch axis, and the remaining axes
// broadcast NumPy-style from the right. Masks follow the elementwise rule of the ops
// (DESIGN.md section 5): the output mask is the AND of the input masks, an unmasked input
// counting as all-valid.
//
// Concatenate joins the inputs along `axis` (equal shapes elsewhere). Masks follow the
// concat op: along a feature axis the masks are ANDed; along a masked axis (time) they are
// concatenated too, an unmasked input contributing all-valid entries.
//
// Every merge takes at least two inputs (Subtract exactly two): calling one on a single
// tensor is almost always a mistake, so it is a ValueError rather than the identity.
// Incompatible shapes are a ShapeError listing every input shape.
#include <cstdint>
#include <string>

#include "lamina/layers/layer.hpp"

namespace lamina::layers {

struct MergeOptions {
  std::string name;
};

// Shared by the elementwise merges: input count and shape checks, then merge().
class MergeLayer : public Layer {
 public:
  TensorList call(const TensorList& inputs, const TensorList& masks, bool training) override;
  bool supports_masking() const override { return true; }

 protected:
  // exact_inputs == 0: any number >= 2.
  MergeLayer(std::string type, const MergeOptions& options, std::size_t exact_inputs = 0);
  // Combines inputs of equal rank (already checked to broadcast together).
  virtual Tensor merge(const TensorList& xs) const = 0;

 private:
  std::size_t exact_inputs_;
};

class AddLayer : public MergeLayer {
 public:
  explicit AddLayer(const MergeOptions& options = {}) : MergeLayer("Add", options) {}

 protected:
  Tensor merge(const TensorList& xs) const override;
};

// inputs[0] - inputs[1].
class SubtractLayer : public MergeLayer {
 public:
  explicit SubtractLayer(const MergeOptions& options = {}) : MergeLayer("Subtract", options, 2) {}

 protected:
  Tensor merge(const TensorList& xs) const override;
};

class MultiplyLayer : public MergeLayer {
 public:
  explicit MultiplyLayer(const MergeOptions& options = {}) : MergeLayer("Multiply", options) {}

 protected:
  Tensor merge(const TensorList& xs) const override;
};

// The sum divided by the number of inputs (integer inputs give Float32).
class AverageLayer : public MergeLayer {
 public:
  explicit AverageLayer(const MergeOptions& options = {}) : MergeLayer("Average", options) {}

 protected:
  Tensor merge(const TensorList& xs) const override;
};

class MaximumLayer : public MergeLayer {
 public:
  explicit MaximumLayer(const MergeOptions& options = {}) : MergeLayer("Maximum", options) {}

 protected:
  Tensor merge(const TensorList& xs) const override;
};

class MinimumLayer : public MergeLayer {
 public:
  explicit MinimumLayer(const MergeOptions& options = {}) : MergeLayer("Minimum", options) {}

 protected:
  Tensor merge(const TensorList& xs) const override;
};

class ConcatenateLayer : public Layer {
 public:
  explicit ConcatenateLayer(std::int64_t axis = -1, const MergeOptions& options = {});
  TensorList call(const TensorList& inputs, const TensorList& masks, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  std::int64_t axis() const { return axis_; }

 private:
  std::int64_t axis_;
};

// ---- handles ----
// Merge handles return the merged tensor itself, as in Keras: `auto y = Add()({a, b});`.
// (Calling one on a single Tensor does not compile: a merge needs a list.)
template <class L>
class MergeHandle : public LayerHandle<L> {
 public:
  using LayerHandle<L>::LayerHandle;
  Tensor operator()(const TensorList& xs, const CallOptions& options = {}) const {
    return (*this->ptr())(xs, options).at(0);
  }
};

class Add : public MergeHandle<AddLayer> {
 public:
  Add(const MergeOptions& options = {}) : MergeHandle(std::make_shared<AddLayer>(options)) {}
};
class Subtract : public MergeHandle<SubtractLayer> {
 public:
  Subtract(const MergeOptions& options = {}) : MergeHandle(std::make_shared<SubtractLayer>(options)) {}
};
class Multiply : public MergeHandle<MultiplyLayer> {
 public:
  Multiply(const MergeOptions& options = {}) : MergeHandle(std::make_shared<MultiplyLayer>(options)) {}
};
class Average : public MergeHandle<AverageLayer> {
 public:
  Average(const MergeOptions& options = {}) : MergeHandle(std::make_shared<AverageLayer>(options)) {}
};
class Maximum : public MergeHandle<MaximumLayer> {
 public:
  Maximum(const MergeOptions& options = {}) : MergeHandle(std::make_shared<MaximumLayer>(options)) {}
};
class Minimum : public MergeHandle<MinimumLayer> {
 public:
  Minimum(const MergeOptions& options = {}) : MergeHandle(std::make_shared<MinimumLayer>(options)) {}
};
class Concatenate : public MergeHandle<ConcatenateLayer> {
 public:
  Concatenate(std::int64_t axis = -1, const MergeOptions& options = {})
      : MergeHandle(std::make_shared<ConcatenateLayer>(axis, options)) {}
};

}  // namespace lamina::layers
