#pragma once
// Graph: the recorded computation from a model's Input tensors to its outputs.
//
// Every op and layer called on symbolic tensors records a SymbolicNode (core/recording.hpp).
// A Graph walks those nodes back from the outputs, orders them so that each comes after the
// nodes it reads, and replays them on concrete tensors (or on symbolic ones, when a model is
// itself called inside another model). Ops between layers are steps like layer calls, so
// masks travel through `x * 0.5f + 1.0f` by the usual rules.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina::model {

// Where a step's input comes from: output `index` of step `step`, or a captured constant.
struct StepInput {
  std::int64_t step = -1;  // -1: a constant (`constant` holds it)
  int index = 0;
  Tensor constant;
};

struct Step {
  std::shared_ptr<const SymbolicNode> node;
  std::vector<StepInput> inputs;
  std::vector<TensorSpec> output_specs;  // as recorded when the graph was built
  bool is_input() const { return node->op == "input"; }
  bool is_layer() const { return node->op == "layer"; }
};

// Called after each step with its outputs (NaN diagnosis, summaries).
using StepObserver = std::function<void(const Step&, const TensorList& outputs)>;

class Graph {
 public:
  Graph() = default;
  // ValueError when an output does not depend on the inputs only ("graph disconnected"),
  // when an input is not an lm::Input tensor, or when inputs repeat.
  Graph(const TensorList& inputs, const TensorList& outputs);

  // Replays the graph. `inputs` are in the order given at construction, already checked.
  TensorList run(const TensorList& inputs, const StepObserver& observe = {}) const;

  const std::vector<Step>& steps() const { return steps_; }
  const std::vector<std::int64_t>& input_steps() const { return input_steps_; }
  // (step, output index) of each model output.
  const std::vector<StepInput>& outputs() const { return outputs_; }
  const std::vector<TensorSpec>& input_specs() const { return input_specs_; }
  const std::vector<TensorSpec>& output_specs() const { return output_specs_; }
  // The step that produced symbolic tensor `t`, or -1.
  std::int64_t step_of(const Tensor& t) const;

 private:
  std::vector<Step> steps_;  // topological order: every step after the steps it reads
  std::vector<std::int64_t> input_steps_;
  std::vector<StepInput> outputs_;
  std::vector<TensorSpec> input_specs_, output_specs_;
};

}  // namespace lamina::model
