#include "lamina/core/recording.hpp"

#include "lamina/core/error.hpp"

namespace lamina {

namespace detail {
std::vector<Recorder*>& active_recorders() {
  thread_local std::vector<Recorder*> recorders;
  return recorders;
}

PauseRecording::PauseRecording() { saved_.swap(active_recorders()); }
PauseRecording::~PauseRecording() { saved_.swap(active_recorders()); }
}  // namespace detail

bool recording_active() { return !detail::active_recorders().empty(); }

bool recording_tracks(const TensorList& tensors) {
  for (Recorder* r : detail::active_recorders())
    for (const auto& t : tensors)
      if (t.defined() && r->tracks(t.id())) return true;
  return false;
}

namespace {

bool carries_gradient(DType dt) { return is_floating(dt); }

void record_impl(const char* op, const TensorList& inputs, const TensorList& outputs, BackwardFn backward,
                 std::vector<bool> differentiable) {
  auto& recorders = detail::active_recorders();
  if (recorders.empty()) return;
  std::shared_ptr<OpRecord> rec;  // built lazily: most ops on untracked tensors record nothing
  for (Recorder* r : recorders) {
    bool tracked = false;
    for (const auto& t : inputs)
      if (t.defined() && r->tracks(t.id())) {
        tracked = true;
        break;
      }
    if (!tracked) continue;
    if (!rec) {
      rec = std::make_shared<OpRecord>();
      rec->op = op;
      rec->layer = current_layer();
      rec->input_ids.reserve(inputs.size());
      rec->input_differentiable.resize(inputs.size(), false);
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        rec->input_ids.push_back(inputs[i].defined() ? inputs[i].id() : 0);
        rec->input_shapes.push_back(inputs[i].defined() ? inputs[i].shape() : Shape());
        bool diff = backward && inputs[i].defined() && carries_gradient(inputs[i].dtype()) &&
                    (differentiable.empty() || differentiable[i]);
        rec->input_differentiable[i] = diff;
      }
      bool any_float_output = false;
      for (const auto& t : outputs) {
        rec->output_ids.push_back(t.id());
        rec->output_specs.push_back(t.spec());
        any_float_output = any_float_output || carries_gradient(t.dtype());
      }
      // An op whose outputs are all integer/Bool (cast to int, argmax) cuts every path.
      if (!any_float_output) rec->input_differentiable.assign(inputs.size(), false);
      bool any_diff = false;
      for (bool d : rec->input_differentiable) any_diff = any_diff || d;
      if (any_diff) rec->backward = std::move(backward);
    }
    r->record(rec);
  }
}

}  // namespace

void record_gradient(const char* op, const TensorList& inputs, const TensorList& outputs, BackwardFn backward,
                     std::vector<bool> differentiable) {
  record_impl(op, inputs, outputs, std::move(backward), std::move(differentiable));
}

void record_cut(const char* op, const TensorList& inputs, const TensorList& outputs) {
  record_impl(op, inputs, outputs, nullptr, {});
}

void notify_variable_read(const Tensor& value, bool trainable) {
  for (Recorder* r : detail::active_recorders()) r->on_variable_read(value, trainable);
}

// ---- symbolic graphs ---------------------------------------------------------------------

bool any_symbolic(const TensorList& tensors) {
  for (const auto& t : tensors)
    if (t.defined() && t.is_symbolic()) return true;
  return false;
}

TensorList symbolic_op(const char* op, const TensorList& inputs, const std::vector<TensorSpec>& specs,
                       std::function<TensorList(const TensorList&)> replay, std::string attrs) {
  auto node = std::make_shared<SymbolicNode>();
  node->op = op;
  node->where = current_where();
  node->inputs = inputs;
  node->output_specs = specs;
  node->attrs = std::move(attrs);
  node->replay = std::move(replay);
  return symbolic_outputs(std::move(node), specs);
}

TensorList symbolic_outputs(std::shared_ptr<const SymbolicNode> node, const std::vector<TensorSpec>& specs) {
  TensorList outs;
  outs.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) outs.push_back(detail::symbolic(specs[i], node, static_cast<int>(i)));
  return outs;
}

Tensor symbolic_op(const char* op, const TensorList& inputs, const TensorSpec& spec,
                   std::function<Tensor(const TensorList&)> replay, std::string attrs) {
  return symbolic_op(
      op, inputs, std::vector<TensorSpec>{spec},
      [f = std::move(replay)](const TensorList& in) { return TensorList{f(in)}; }, std::move(attrs))[0];
}

}  // namespace lamina
