#pragma once
// How ops talk to gradient tapes and to symbolic graphs without knowing about them.
//
// Ops call record_gradient / record_cut after computing concrete outputs, and
// symbolic_op when an input is symbolic. GradientTape (autograd/) implements Recorder.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina {

// Gradients of an op's inputs from the gradients of its outputs. `grad_outputs[i]` is
// undefined when no gradient reached output i; return an undefined tensor for inputs
// that get no gradient or whose `needs[i]` is false.
using BackwardFn = std::function<TensorList(const TensorList& grad_outputs, const std::vector<bool>& needs)>;

struct OpRecord {
  const char* op = "";
  std::string layer;  // innermost layer when recorded ("layer 'x' (Lambda)")
  std::vector<std::uint64_t> input_ids;
  std::vector<Shape> input_shapes;         // to check gradient shapes
  std::vector<bool> input_differentiable;  // false: the op cuts the path through this input
  std::vector<std::uint64_t> output_ids;
  std::vector<TensorSpec> output_specs;  // to build zero gradients
  BackwardFn backward;                   // null when no input is differentiable
};

class Recorder {
 public:
  virtual ~Recorder() = default;
  virtual bool tracks(std::uint64_t tensor_id) const = 0;
  virtual void record(std::shared_ptr<const OpRecord> rec) = 0;
  virtual void on_variable_read(const Tensor& value, bool trainable) = 0;
};

namespace detail {
// Active recorders of this thread, innermost last. Push/pop are done by GradientTape.
std::vector<Recorder*>& active_recorders();
// Suspends all recording in this thread while alive (stop_gradient, tape.gradient).
class PauseRecording {
 public:
  PauseRecording();
  ~PauseRecording();
  PauseRecording(const PauseRecording&) = delete;
  PauseRecording& operator=(const PauseRecording&) = delete;

 private:
  std::vector<Recorder*> saved_;
};
}  // namespace detail

// True when some tape in this thread is recording (cheap; lets ops skip closure building).
bool recording_active();
// Whether an op on these tensors would be recorded: an active recorder tracks one of them.
// (recording_active() is also true inside tape.gradient, whose own tape then records nothing.)
bool recording_tracks(const TensorList& tensors);

// Records a differentiable op. `differentiable[i]` false marks inputs the op cannot
// differentiate (indices, conditions); integer and Bool inputs and outputs never carry
// gradients. Nothing is recorded unless an active tape tracks one of the inputs.
void record_gradient(const char* op, const TensorList& inputs, const TensorList& outputs, BackwardFn backward,
                     std::vector<bool> differentiable = {});

// Records an op with no gradient at all (round, argmax, comparisons, random): a tape
// that tracks an input remembers the cut for its diagnostics.
void record_cut(const char* op, const TensorList& inputs, const TensorList& outputs);

// Tells active tapes that a Variable's value was read (they watch trainable ones).
void notify_variable_read(const Tensor& value, bool trainable);

// ---- symbolic graphs ----------------------------------------------------------------
bool any_symbolic(const TensorList& tensors);

// Builds symbolic outputs of `specs` for an op on symbolic inputs. `replay` must
// recompute the same op from concrete inputs passed in the same order. `attrs` (a JSON
// object) holds the op's other arguments, so that a saved model can rebuild the op
// (model/op_registry.hpp); ops whose behaviour is fixed by their name and inputs pass none.
TensorList symbolic_op(const char* op, const TensorList& inputs, const std::vector<TensorSpec>& specs,
                       std::function<TensorList(const TensorList&)> replay, std::string attrs = "");
Tensor symbolic_op(const char* op, const TensorList& inputs, const TensorSpec& spec,
                   std::function<Tensor(const TensorList&)> replay, std::string attrs = "");
// Symbolic outputs of an already filled-in node (layer calls, model inputs).
TensorList symbolic_outputs(std::shared_ptr<const SymbolicNode> node, const std::vector<TensorSpec>& specs);

}  // namespace lamina
