// Bidirectional: a forward and a backward copy of a recurrent layer, merged.
#include "lamina/layers/bidirectional.hpp"

#include <fmt/format.h>

#include "lamina/core/error.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers {

BidirectionalLayer::BidirectionalLayer(LayerHandle<RNNLayer> layer, BidirectionalOptions options)
    : Layer("Bidirectional", options.name), options_(std::move(options)), forward_(std::move(layer)) {
  LayerScope scope(name(), type());
  if (!forward_.ptr())
    throw ValueError({.problem = "Bidirectional needs a recurrent layer",
                      .expected = "an LSTM, GRU or SimpleRNN",
                      .found = "an empty handle",
                      .hint = "wrap a recurrent layer: Bidirectional(LSTM(64))"});
  const std::string& m = options_.merge_mode;
  if (m != "concat" && m != "sum" && m != "mul" && m != "ave" && m != "none")
    throw ValueError(
        {.problem = "unknown merge_mode",
         .expected = "\"concat\", \"sum\", \"mul\", \"ave\" or \"none\"",
         .found = "\"" + m + "\"",
         .hint =
             "use merge_mode \"concat\" (the Keras default), \"sum\", \"mul\", \"ave\" or \"none\" (both outputs)"});
  if (forward_->built())
    throw ValueError({.problem = "Bidirectional needs a layer that has not been called yet",
                      .expected = "a fresh recurrent layer",
                      .found = fmt::format("layer '{}', already built", forward_->name()),
                      .hint = "create a new layer for the Bidirectional wrapper"});
  // As Keras: both directions output zeros at padded steps when returning sequences, so
  // the merged output is zero there whatever the merge.
  RecurrentConfig cfg = forward_->config();
  forward_->set_zero_output_for_mask(cfg.return_sequences);
  if (options_.backward_layer.ptr()) {
    backward_ = options_.backward_layer;
    check_backward_layer();
  } else {
    cfg.zero_output_for_mask = cfg.return_sequences;
    cfg.go_backwards = !cfg.go_backwards;
    backward_ = LayerHandle<RNNLayer>(forward_->clone(cfg, "backward_" + forward_->name()));
  }
  backward_->set_zero_output_for_mask(cfg.return_sequences);
  options_.backward_layer = {};  // held as backward_; keep one owner
  track_layer(forward_.ptr());
  track_layer(backward_.ptr());
}

void BidirectionalLayer::check_backward_layer() const {
  const RecurrentConfig &f = forward_->config(), &b = backward_->config();
  auto fail = [&](const std::string& problem, const std::string& expected, const std::string& found,
                  const std::string& hint) {
    throw ValueError({.problem = "backward_layer " + problem, .expected = expected, .found = found, .hint = hint});
  };
  if (backward_.ptr() == forward_.ptr())
    fail("is the forward layer itself", "a second recurrent layer", fmt::format("layer '{}' twice", forward_->name()),
         "leave backward_layer empty to derive a copy");
  if (backward_->built())
    fail("has already been called", "a fresh recurrent layer",
         fmt::format("layer '{}', already built", backward_->name()), "create a new layer for the backward direction");
  if (b.go_backwards == f.go_backwards)
    fail("runs in the same direction as the forward layer",
         fmt::format("go_backwards = {} (the opposite of layer '{}')", !f.go_backwards, forward_->name()),
         fmt::format("go_backwards = {} in layer '{}'", b.go_backwards, backward_->name()),
         "set .go_backwards = true on the backward layer");
  if (b.return_sequences != f.return_sequences || b.return_state != f.return_state)
    fail("returns other outputs than the forward layer",
         fmt::format("return_sequences = {}, return_state = {} (as layer '{}')", f.return_sequences, f.return_state,
                     forward_->name()),
         fmt::format("return_sequences = {}, return_state = {} in layer '{}'", b.return_sequences, b.return_state,
                     backward_->name()),
         "give both directions the same return_sequences and return_state");
  const std::string& m = options_.merge_mode;
  if (m != "concat" && m != "none" && backward_->units() != forward_->units())
    fail("has another number of units, which merge_mode \"" + m + "\" cannot combine",
         fmt::format("{} units (as layer '{}')", forward_->units(), forward_->name()),
         fmt::format("{} units in layer '{}'", backward_->units(), backward_->name()),
         "use merge_mode \"concat\" or equal units");
}

void BidirectionalLayer::on_build(const std::vector<TensorSpec>& specs) {
  // Each direction sees the sequence (initial states only shape the call, not the weights).
  forward_->build({specs.at(0)});
  backward_->build({specs.at(0)});
}

TensorList BidirectionalLayer::call(const TensorList& inputs, const TensorList& masks, bool training) {
  const RecurrentConfig& cfg = forward_->config();
  const auto f_states = static_cast<std::ptrdiff_t>(forward_->state_count());
  const auto b_states = static_cast<std::ptrdiff_t>(backward_->state_count());
  if (inputs.size() != 1 && inputs.size() != static_cast<std::size_t>(1 + f_states + b_states))
    throw ValueError(
        {.problem = "Bidirectional takes a sequence and, optionally, the initial states of both directions",
         .expected = fmt::format("1 or {} inputs ({} forward states, then {} backward ones)", 1 + f_states + b_states,
                                 f_states, b_states),
         .found = fmt::format("{} inputs", inputs.size()),
         .hint = "pass the sequence alone, or the sequence then the forward states then the backward states"});
  CallOptions fo{.training = training}, bo{.training = training};
  if (inputs.size() > 1) {
    fo.initial_state.assign(inputs.begin() + 1, inputs.begin() + 1 + f_states);
    bo.initial_state.assign(inputs.begin() + 1 + f_states, inputs.end());
  }
  TensorList f = forward_(TensorList{inputs[0]}, fo);
  TensorList b = backward_(TensorList{inputs[0]}, bo);
  Tensor yf = f[0], yb = b[0];
  if (cfg.return_sequences) yb = flip(yb, {1});  // back to input time order (the mask flips with it)
  TensorList outs;
  const std::string& m = options_.merge_mode;
  if (m == "concat")
    outs.push_back(concat({yf, yb}, -1));
  else if (m == "sum")
    outs.push_back(yf + yb);
  else if (m == "mul")
    outs.push_back(yf * yb);
  else if (m == "ave")
    outs.push_back((yf + yb) * 0.5);
  else
    outs = {yf, yb};
  outs.insert(outs.end(), f.begin() + 1, f.end());
  outs.insert(outs.end(), b.begin() + 1, b.end());
  return outs;
}

Json BidirectionalLayer::get_config() const {
  Json c = Layer::get_config();
  c["merge_mode"] = options_.merge_mode;
  c["layer"] = forward_->get_config();
  c["backward_layer"] = backward_->get_config();
  return c;
}

}  // namespace lamina::layers
