#pragma once
// Layer: the base of every layer, built-in or custom (DESIGN.md sections 5 and 7).
//
// A layer has a unique name ("lstm", "lstm_1", ...), is built once -- by build(specs), or
// on its first call -- creating its weights in on_build(), and implements call().
// operator() runs the call protocol:
//   - pushes the error context, so errors name the layer ("layer 'lstm' (LSTM)");
//   - hands the input mask to call(): explicitly as `mask`, and attached to the input, so
//     ops inside call() carry it along by the mask rules;
//   - a layer whose supports_masking() is false raises MaskError when given a masked input
//     (masks are never dropped silently); an explicit `.mask` option is always accepted;
//   - the output's mask is what compute_mask() returns, or, when it returns nullopt (the
//     default), the mask the ops in call() produced;
//   - on symbolic inputs it builds the layer, infers output specs, and records one graph
//     node for the call (so a functional Model can replay it).
//
// Custom layers subclass Layer and are created with lm::make_layer<T>(args...).
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lamina/core/random.hpp"
#include "lamina/core/tensor.hpp"
#include "lamina/core/variable.hpp"
#include "lamina/layers/initializers.hpp"

namespace lamina {

using Json = nlohmann::json;

struct CallOptions {
  Tensor mask;                   // explicit mask for a single input (overrides its own)
  std::optional<bool> training;  // default: the current learning phase (false outside fit)
  TensorList initial_state;      // RNNs: appended to the inputs
};

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  // `type` is the class name shown in messages ("LSTM"); the default name is its
  // snake_case form made unique ("lstm", "lstm_1").
  explicit Layer(std::string type, std::string name = "");
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  bool built() const { return built_; }
  bool trainable() const { return trainable_; }
  void set_trainable(bool trainable);

  std::vector<Variable> weights() const;
  std::vector<Variable> trainable_weights() const;
  std::vector<Variable> non_trainable_weights() const;
  std::int64_t count_params() const;

  // ---- the call protocol ----
  TensorList operator()(const TensorList& inputs, const CallOptions& options = {});
  // Single input and single output; ValueError if the layer returns several outputs.
  Tensor operator()(const Tensor& input, const CallOptions& options = {});

  // Output specs for these input specs, without data (runs call() on symbolic tensors
  // unless a layer overrides it, as Lambda does).
  virtual std::vector<TensorSpec> compute_output_spec(const std::vector<TensorSpec>& input_specs);

  // Builds the layer for these input specs (the batch dim may be unknown): runs on_build()
  // and marks the layer built, exactly as the first call does. Later builds do nothing, so
  // the layer keeps one set of weights. (final: a subclass creates its weights in on_build.)
  virtual void build(const std::vector<TensorSpec>& input_specs) final;

  // ---- what subclasses implement ----
  // Creates weights from the input specs. Called once, by build() or before the first call.
  virtual void on_build(const std::vector<TensorSpec>& input_specs) {}
  // Single input, single output. `mask` is the input's mask (undefined if none).
  virtual Tensor call(const Tensor& input, const Tensor& mask, bool training);
  // Several inputs or outputs; the default forwards a single input to the version above.
  virtual TensorList call(const TensorList& inputs, const TensorList& masks, bool training);
  // Output masks; nullopt keeps the masks the ops in call() produced. An undefined
  // tensor in the list drops that output's mask.
  virtual std::optional<TensorList> compute_mask(const TensorList& inputs, const TensorList& masks) {
    return std::nullopt;
  }
  // Whether call() honours input masks. Built-in layers do; custom layers must opt in.
  virtual bool supports_masking() const { return false; }
  // Enough to rebuild the layer: {"type", "name", "trainable", ...options}.
  virtual Json get_config() const;

 protected:
  // Creates a weight named "<layer>/<name>" (Keras's naming), initialised now.
  Variable add_weight(const std::string& name, const Shape& shape, const Initializer& init, bool trainable = true,
                      DType dtype = Float32);
  // Nested layers whose weights belong to this one (Bidirectional, TimeDistributed).
  void track_layer(std::shared_ptr<Layer> layer);
  void untrack_layers() { sublayers_.clear(); }  // a Sequential model rebuilding its list
  // This layer's own random stream (dropout, initializers), seeded at construction.
  Generator& generator() { return generator_; }
  void check_input_count(const TensorList& inputs, std::size_t expected) const;
  // ValueError when a tensor of `shape` would not fit in memory (or its size overflows):
  // sizes taken from options must not reach the allocator unchecked.
  void check_allocation(const std::string& what, const Shape& shape, DType dtype, const std::string& hint) const;

 private:
  TensorList call_concrete(const TensorList& inputs, const TensorList& masks, bool training);
  TensorList call_symbolic(const TensorList& inputs, const CallOptions& options);
  void ensure_built(const TensorList& inputs);

  std::string type_;
  std::string name_;
  bool built_ = false;
  bool trainable_ = true;
  std::vector<Variable> weights_;
  std::vector<std::shared_ptr<Layer>> sublayers_;
  Generator generator_;
};

// The learning phase used when a call gives no `training` option (fit sets it).
bool learning_phase();
class LearningPhase {
 public:
  explicit LearningPhase(bool training);
  ~LearningPhase();
  LearningPhase(const LearningPhase&) = delete;
  LearningPhase& operator=(const LearningPhase&) = delete;

 private:
  bool saved_;
};

// A model input: a symbolic tensor of shape (None, *shape) -- the batch is unknown.
Tensor Input(const Shape& shape, DType dtype = Float32, const std::string& name = "");

// Makes "lstm", "lstm_1", ... unique across the process; clear_session() restarts them.
std::string unique_layer_name(const std::string& base);
void clear_session();
std::string snake_case(const std::string& type);

// ---- handles ------------------------------------------------------------------------
// A shared handle to a layer: copies refer to the same layer (same weights), like Python
// references to a Keras layer. Built-in layers are handles: `Dense(6)(x)`.
template <class L>
class LayerHandle {
 public:
  LayerHandle() = default;
  explicit LayerHandle(std::shared_ptr<L> layer) : layer_(std::move(layer)) {}
  template <class U>
  requires std::is_base_of_v<L, U> LayerHandle(const LayerHandle<U>& other) : layer_(other.ptr()) {}

  Tensor operator()(const Tensor& x, const CallOptions& options = {}) const { return (*layer_)(x, options); }
  TensorList operator()(const TensorList& xs, const CallOptions& options = {}) const { return (*layer_)(xs, options); }
  L* operator->() const { return layer_.get(); }
  L& operator*() const { return *layer_; }
  const std::shared_ptr<L>& ptr() const { return layer_; }

 private:
  std::shared_ptr<L> layer_;
};
using LayerRef = LayerHandle<Layer>;

template <class L, class... Args>
LayerHandle<L> make_layer(Args&&... args) {
  return LayerHandle<L>(std::make_shared<L>(std::forward<Args>(args)...));
}

}  // namespace lamina
