#pragma once
// Loss: the base of every loss (docs/losses-and-metrics.md).
//
//   auto loss = lm::losses::SparseCategoricalCrossentropy({.from_logits = true});
//   Tensor value = (*loss)(y_true, logits);              // scalar, differentiable
//   auto [sum, count] = loss->reduce_parts(y_true, logits, sample_weight);
//
// call() is the unreduced loss, built from Lamina ops (so it is differentiable and masks
// travel by the mask rules): Keras's shapes, one value per sample (and per timestep for
// sequences). The reduction is Keras 3's "sum_over_batch_size" with masks:
//   loss = sum(loss * sample_weight over valid entries) / count(valid entries)
// where the valid entries are those of the unreduced loss's mask (which comes from
// y_pred's mask); unmasked, every entry counts. Masked entries are ignored whatever they
// hold (NaN, inf): they are selected away, never multiplied by 0. An all-masked batch
// gives 0 and zero gradients.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lamina/core/error.hpp"
#include "lamina/core/tensor.hpp"

namespace lamina {
using Json = nlohmann::json;
}

namespace lamina::losses {

// Keras's backend.epsilon(): probabilities are clipped to [epsilon, 1 - epsilon].
inline constexpr double kEpsilon = 1e-7;

class Loss {
 public:
  // `type` is the Keras class name ("SparseCategoricalCrossentropy"), `name` the Keras
  // loss name ("sparse_categorical_crossentropy").
  Loss(std::string type, std::string name);
  virtual ~Loss();
  Loss(const Loss&) = delete;
  Loss& operator=(const Loss&) = delete;

  // The unreduced loss. If y_pred has a mask, the result carries the matching mask.
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;

  // The reduction's pieces, for a global normaliser across batches or processes:
  // sum = sum(loss * sample_weight) over the valid entries (a differentiable scalar),
  // count = the number of valid entries of the unreduced loss (all entries when unmasked).
  // Concrete tensors only (count is a number).
  struct Parts {
    Tensor sum;
    double count = 0;
  };
  Parts reduce_parts(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) const;

  // sum / count (0 when count is 0, never NaN). Works on symbolic tensors too.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) const;

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  // {"type", "name", "reduction": "sum_over_batch_size"} plus each loss's options.
  virtual Json get_config() const;

 protected:
  // What every built-in call() starts with: y_pred in a floating dtype (integers become
  // float32), y_true without its mask, and -- when y_pred is masked -- the values at masked
  // positions replaced (y_pred by 1, y_true by 0) so nothing non-finite can reach the
  // loss or its gradient. The mask itself stays on y_pred.
  struct Inputs {
    Tensor y_true;
    Tensor y_pred;
  };
  Inputs sanitize(const Tensor& y_true, const Tensor& y_pred) const;
  // True when call() starts with sanitize() (every built-in loss): reduce_parts then does
  // not sanitise a second time. A custom loss that returns false (the default) gets
  // sanitised inputs from reduce_parts and operator().
  virtual bool sanitizes_inputs() const { return false; }
  // sanitize(), then Keras's squeeze_or_expand_to_same_rank, y_true cast to y_pred's
  // dtype, and equal shapes required (ShapeError naming the loss and both shapes).
  Inputs dense_inputs(const Tensor& y_true, const Tensor& y_pred) const;
  // Throws ShapeError "<loss>: y_true and y_pred shapes differ" with `hint`.
  [[noreturn]] void shape_mismatch(const Tensor& y_true, const Tensor& y_pred, const std::string& hint) const;
  // "loss 'mean_squared_error'", the error context every loss pushes.
  std::string context() const;
  // Pushes context() unless an enclosing frame already did (call() inside reduce_parts).
  struct Scope {
    explicit Scope(const Loss& loss);
    std::optional<NoteScope> note;
  };

 private:
  void require_inputs(const Tensor& y_true, const Tensor& y_pred) const;
  Tensor weights_for(const Tensor& values, const Tensor& sample_weight) const;
  std::string type_;
  std::string name_;
};

using LossRef = std::shared_ptr<const Loss>;

// Options of BinaryCrossentropy and CategoricalCrossentropy, as Keras 3.
struct CrossentropyOptions {
  bool from_logits = false;
  double label_smoothing = 0.0;  // in [0, 1]
  std::int64_t axis = -1;        // the class axis (CCE) / the axis averaged over (BCE)
};

// Options of SparseCategoricalCrossentropy, as Keras 3.
struct SparseCrossentropyOptions {
  bool from_logits = false;
  std::optional<std::int64_t> ignore_class;  // labels equal to it are masked out
  std::int64_t axis = -1;                    // the class axis of y_pred
};

// y_pred in a floating dtype with its masked positions set to 1, and y_true without its
// mask and with 0 at the positions y_pred masks (where y_true's leading dims line up with
// y_pred's mask). The metrics use it too, so padding may hold anything.
std::pair<Tensor, Tensor> sanitize_masked(const Tensor& y_true, const Tensor& y_pred);

// Squeezes or expands the last axis when the ranks differ by exactly one and the longer
// one ends in 1 (Keras's squeeze_or_expand_to_same_rank).
std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& x1, const Tensor& x2, bool expand_rank_1 = true);

}  // namespace lamina::losses
