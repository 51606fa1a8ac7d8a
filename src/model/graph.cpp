// Graph: ordering recorded symbolic nodes and replaying them.
#include "lamina/model/graph.hpp"

#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

#include "lamina/core/error.hpp"

namespace lamina::model {

namespace {

std::string describe_node(const SymbolicNode& n) {
  if (n.op == "layer") return fmt::format("layer '{}'", n.name);
  if (n.op == "input") return fmt::format("input '{}'", n.name);
  return fmt::format("op '{}'", n.op);
}

}  // namespace

Graph::Graph(const TensorList& inputs, const TensorList& outputs) {
  std::unordered_map<const SymbolicNode*, std::int64_t> index;  // node -> step
  std::unordered_set<const SymbolicNode*> model_inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (!t.defined() || !t.is_symbolic() || !t.node() || t.node()->op != "input")
      throw ValueError({.problem = fmt::format("model input {} is not an lm::Input tensor", i),
                        .expected = "tensors returned by lm::Input(shape, dtype, name)",
                        .found = !t.defined()          ? std::string("an undefined Tensor")
                                 : !t.is_symbolic()    ? "a concrete tensor " + t.spec().str()
                                 : t.node() == nullptr ? "a placeholder " + t.spec().str()
                                                       : "the output of " + describe_node(*t.node()),
                        .hint = "build the model from the tensors lm::Input returned: lm::Model(inputs, outputs)"});
    if (!model_inputs.insert(t.node().get()).second)
      throw ValueError({.problem = fmt::format("input '{}' is given twice", t.node()->name),
                        .expected = "each lm::Input once",
                        .found = fmt::format("input {} repeats an earlier one", i),
                        .hint = "pass every input tensor once"});
  }
  // Iterative depth-first walk from the outputs; a step is added after all it reads.
  struct Frame {
    const SymbolicNode* node;
    std::shared_ptr<const SymbolicNode> keep;
    std::size_t next = 0;
    std::string via;  // the consumer, for "graph disconnected" messages
  };
  auto visit = [&](const Tensor& root, const std::string& via) {
    if (!root.is_symbolic()) return;
    if (!root.node())
      throw ValueError({.problem = "the graph reads a placeholder that is not a model input",
                        .expected = "tensors derived from the model's lm::Input tensors",
                        .found = "lm::placeholder " + root.spec().str() + " read by " + via,
                        .hint = "create model inputs with lm::Input and pass them to lm::Model"});
    std::vector<Frame> stack{{root.node().get(), root.node(), 0, via}};
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (index.count(f.node)) {
        stack.pop_back();
        continue;
      }
      if (f.next == 0) {
        if (f.node->op == "input" && !model_inputs.count(f.node))
          throw ValueError({.problem = fmt::format("graph disconnected: the outputs depend on input '{}', which "
                                                   "is not one of the model's inputs",
                                                   f.node->name),
                            .expected = "every lm::Input the outputs depend on to be passed to lm::Model",
                            .found = fmt::format("input '{}' read by {}", f.node->name, f.via),
                            .hint = "add it to the model's inputs: lm::Model({in1, in2}, outputs)"});
      }
      if (f.next < f.node->inputs.size()) {
        const Tensor& in = f.node->inputs[f.next++];
        if (in.defined() && in.is_symbolic()) {
          if (!in.node())
            throw ValueError({.problem = "the graph reads a placeholder that is not a model input",
                              .expected = "tensors derived from the model's lm::Input tensors",
                              .found = "lm::placeholder " + in.spec().str() + " read by " + describe_node(*f.node),
                              .hint = "create model inputs with lm::Input and pass them to lm::Model"});
          if (!index.count(in.node().get())) stack.push_back({in.node().get(), in.node(), 0, describe_node(*f.node)});
        }
        continue;
      }
      Step step;
      step.node = f.keep;
      step.output_specs = f.node->output_specs;
      for (const Tensor& in : f.node->inputs) {
        StepInput si;
        if (in.defined() && in.is_symbolic()) {
          si.step = index.at(in.node().get());
          si.index = in.output_index();
        } else {
          si.constant = in;  // a captured constant (or an undefined optional input)
        }
        step.inputs.push_back(std::move(si));
      }
      index[f.node] = static_cast<std::int64_t>(steps_.size());
      steps_.push_back(std::move(step));
      stack.pop_back();
    }
  };
  // Inputs first, in the given order, so that unused inputs still have a step.
  for (const auto& t : inputs) visit(t, "the model");
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& t = outputs[i];
    if (!t.defined())
      throw ValueError({.problem = fmt::format("model output {} is an undefined Tensor", i),
                        .expected = "symbolic tensors computed from the model's inputs",
                        .found = "an undefined Tensor (like Python's None)",
                        .hint = "check the layer or function that produced this output"});
    if (!t.is_symbolic())
      throw ValueError({.problem = fmt::format("model output {} is a concrete tensor", i),
                        .expected = "symbolic tensors computed from the model's lm::Input tensors",
                        .found = "a concrete tensor " + t.spec().str(),
                        .hint = "build the outputs by calling layers and ops on the lm::Input tensors"});
    visit(t, fmt::format("model output {}", i));
  }
  for (const auto& t : inputs) {
    input_steps_.push_back(index.at(t.node().get()));
    input_specs_.push_back(t.spec());
  }
  for (const auto& t : outputs) {
    outputs_.push_back({index.at(t.node().get()), t.output_index(), Tensor()});
    output_specs_.push_back(t.spec());
  }
}

std::int64_t Graph::step_of(const Tensor& t) const {
  if (!t.defined() || !t.node()) return -1;
  for (std::size_t i = 0; i < steps_.size(); ++i)
    if (steps_[i].node == t.node()) return static_cast<std::int64_t>(i);
  return -1;
}

TensorList Graph::run(const TensorList& inputs, const StepObserver& observe) const {
  std::vector<TensorList> values(steps_.size());
  for (std::size_t i = 0; i < input_steps_.size(); ++i) values[input_steps_[i]] = {inputs.at(i)};
  TensorList args;
  for (std::size_t s = 0; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    if (step.is_input()) {
      if (observe) observe(step, values[s]);
      continue;
    }
    args.clear();
    for (const auto& in : step.inputs) args.push_back(in.step < 0 ? in.constant : values[in.step].at(in.index));
    values[s] = step.node->replay(args);
    if (observe) observe(step, values[s]);
  }
  TensorList outs;
  outs.reserve(outputs_.size());
  for (const auto& o : outputs_) outs.push_back(values[o.step].at(o.index));
  return outs;
}

}  // namespace lamina::model
