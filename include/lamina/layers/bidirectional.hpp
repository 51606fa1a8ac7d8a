#pragma once
// Bidirectional: runs a recurrent layer forward and a copy of it backward, and merges them.
//
//   auto y = Bidirectional(LSTM(64, {.return_sequences = true}))(x);   // (B, T, 128)
//
// The given layer is the forward direction; the backward one is a new layer with the same
// options, go_backwards toggled and fresh weights, named "backward_<name>" -- or, as Keras's
// backward_layer, a recurrent layer you give (another kind or size is fine, e.g. an LSTM
// forward and a GRU backward): it must be unbuilt, have the opposite go_backwards and the
// same return_sequences and return_state; sum/mul/ave need equal units. Both are
// tracked (their weights are this layer's weights). With return_sequences the backward
// outputs are reversed back to input time order before merging, both directions output
// zeros at padded steps (as Keras: zero_output_for_mask), and the output mask is the
// input's. merge_mode: "concat" (default), "sum", "mul", "ave", or "none" (the two outputs
// as a list). return_state gives {output(s)..., forward states..., backward states...};
// initial states are given the same way: forward ones first (each direction takes as many
// as its kind has: LSTM 2, GRU and SimpleRNN 1).
#include <string>

#include "lamina/layers/rnn.hpp"

namespace lamina::layers {

struct BidirectionalOptions {
  std::string merge_mode = "concat";
  LayerHandle<RNNLayer> backward_layer;  // empty: derived from the forward layer
  std::string name;
};

class BidirectionalLayer : public Layer {
 public:
  BidirectionalLayer(LayerHandle<RNNLayer> layer, BidirectionalOptions options = {});
  void on_build(const std::vector<TensorSpec>& input_specs) override;  // builds both directions
  TensorList call(const TensorList& inputs, const TensorList& masks, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  const LayerHandle<RNNLayer>& forward_layer() const { return forward_; }
  const LayerHandle<RNNLayer>& backward_layer() const { return backward_; }

 private:
  void check_backward_layer() const;  // a given backward_layer must fit the forward one

  BidirectionalOptions options_;
  LayerHandle<RNNLayer> forward_, backward_;
};

class Bidirectional : public LayerHandle<BidirectionalLayer> {
 public:
  Bidirectional(LayerHandle<RNNLayer> layer, BidirectionalOptions options = {})
      : LayerHandle(std::make_shared<BidirectionalLayer>(std::move(layer), std::move(options))) {}
};

}  // namespace lamina::layers
