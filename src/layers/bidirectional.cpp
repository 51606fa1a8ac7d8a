// Bidirectional: a forward and a backward copy of a recurrent layer, merged.
#include "lamina/layers/bidirectional.hpp"

#include <fmt/format.h>

#include "lamina/core/error.hpp"
#include "lamina/ops/elementwise.hpp"
#include "lamina/ops/shape.hpp"

namespace lamina::layers {

BidirectionalLayer::BidirectionalLayer(LayerHandle<RNNLayer> layer, BidirectionalOptions options)
    : Layer("Bidirectional", options.name), options_(std::move(options)), forward_(std::move(layer)) {
  if (!forward_.ptr())
    throw ValueError({.problem = "Bidirectional needs a recurrent layer",
                      .expected = "an LSTM, GRU or SimpleRNN",
                      .found = "an empty handle"});
  const std::string& m = options_.merge_mode;
  if (m != "concat" && m != "sum" && m != "mul" && m != "ave" && m != "none")
    throw ValueError({.problem = "unknown merge_mode",
                      .expected = "\"concat\", \"sum\", \"mul\", \"ave\" or \"none\"",
                      .found = "\"" + m + "\""});
  if (forward_->built())
    throw ValueError({.problem = "Bidirectional needs a layer that has not been called yet",
                      .expected = "a fresh recurrent layer",
                      .found = fmt::format("layer '{}', already built", forward_->name()),
                      .hint = "create a new layer for the Bidirectional wrapper"});
  // As Keras: both directions output zeros at padded steps when returning sequences, so
  // the merged output is zero there whatever the merge.
  RecurrentConfig cfg = forward_->config();
  cfg.zero_output_for_mask = cfg.return_sequences;
  forward_->set_zero_output_for_mask(cfg.return_sequences);
  cfg.go_backwards = !cfg.go_backwards;
  backward_ = LayerHandle<RNNLayer>(forward_->clone(cfg, "backward_" + forward_->name()));
  track_layer(forward_.ptr());
  track_layer(backward_.ptr());
}

TensorList BidirectionalLayer::call(const TensorList& inputs, const TensorList& masks, bool training) {
  const RecurrentConfig& cfg = forward_->config();
  const std::size_t states = static_cast<std::size_t>(forward_->state_count());
  if (inputs.size() != 1 && inputs.size() != 1 + 2 * states)
    throw ValueError(
        {.problem = "Bidirectional takes a sequence and, optionally, the initial states of both directions",
         .expected = fmt::format("1 or {} inputs (forward states first)", 1 + 2 * states),
         .found = fmt::format("{} inputs", inputs.size())});
  CallOptions fo{.training = training}, bo{.training = training};
  if (inputs.size() > 1) {
    fo.initial_state.assign(inputs.begin() + 1, inputs.begin() + 1 + static_cast<std::ptrdiff_t>(states));
    bo.initial_state.assign(inputs.begin() + 1 + static_cast<std::ptrdiff_t>(states), inputs.end());
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
