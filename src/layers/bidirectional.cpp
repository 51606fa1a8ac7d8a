// Bidirectional: a forward and a backward copy of a recurrent layer, merged.
#include "lamina/layers/bidirectional.hpp"

#include <fmt/format.h>

#include <cstring>

#include "lamina/core/creation.hpp"
#include "lamina/core/error.hpp"
#include "lamina/core/recording.hpp"
#include "lamina/ops/elementwise.hpp"
#include "ops/support/masks.hpp"

namespace lamina::layers {

namespace {

// Small local ops (the shape family's flip/concat were not available when this was written).

// x (B, T, ...) with the time axis reversed; a (B, T) mask is reversed with it.
Tensor reverse_time(const Tensor& x) {
  OpScope scope("reverse_time");
  if (x.is_symbolic())
    return symbolic_op("reverse_time", {x}, x.spec(), [](const TensorList& in) { return reverse_time(in[0]); });
  const std::int64_t B = x.dim(0), T = x.dim(1);
  const std::int64_t inner = T == 0 || B == 0 ? 0 : x.numel() / (B * T);
  const std::size_t bytes = static_cast<std::size_t>(inner) * itemsize(x.dtype());
  Tensor out = detail::empty(x.shape(), x.dtype());
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(detail::mutable_raw_data(out));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      std::memcpy(dst + static_cast<std::size_t>(b * T + t) * bytes,
                  src + static_cast<std::size_t>(b * T + T - 1 - t) * bytes, bytes);
  if (x.has_mask()) detail::set_mask(out, x.mask().rank() >= 2 ? reverse_time(x.mask()) : x.mask());
  if (recording_active())
    record_gradient("reverse_time", {x}, {out},
                    [](const TensorList& g, const std::vector<bool>&) { return TensorList{reverse_time(g[0])}; });
  return out;
}

// Concatenation along the last axis of two tensors of equal leading shape; masks ANDed.
Tensor concat_last(const Tensor& a, const Tensor& b) {
  OpScope scope("concat");
  std::vector<std::int64_t> dims(a.shape().begin(), a.shape().end());
  const std::int64_t na = a.dim(-1), nb = b.dim(-1);
  dims.back() = na < 0 || nb < 0 ? None : na + nb;
  Shape shape(dims);
  std::int64_t mask_rank = detail::elementwise_mask_rank({a.spec(), b.spec()}, shape.rank());
  if (a.is_symbolic() || b.is_symbolic())
    return symbolic_op("concat", {a, b}, TensorSpec{shape, a.dtype(), mask_rank},
                       [](const TensorList& in) { return concat_last(in[0], in[1]); });
  Tensor out = detail::empty(shape, a.dtype());
  const std::size_t is = itemsize(a.dtype());
  const std::int64_t rows = na + nb == 0 ? 0 : out.numel() / (na + nb);
  const char* pa = static_cast<const char*>(a.raw_data());
  const char* pb = static_cast<const char*>(b.raw_data());
  char* po = static_cast<char*>(detail::mutable_raw_data(out));
  for (std::int64_t r = 0; r < rows; ++r) {
    std::memcpy(po + static_cast<std::size_t>(r * (na + nb)) * is, pa + static_cast<std::size_t>(r * na) * is,
                static_cast<std::size_t>(na) * is);
    std::memcpy(po + static_cast<std::size_t>(r * (na + nb) + na) * is, pb + static_cast<std::size_t>(r * nb) * is,
                static_cast<std::size_t>(nb) * is);
  }
  detail::set_mask(out, detail::elementwise_mask({a, b}, shape));
  if (recording_active())
    record_gradient(
        "concat", {a, b}, {out},
        [sa = a.shape(), sb = b.shape(), na, nb](const TensorList& g, const std::vector<bool>&) {
          Tensor ga = detail::empty(sa, g[0].dtype()), gb = detail::empty(sb, g[0].dtype());
          const std::size_t is = itemsize(g[0].dtype());
          const char* pg = static_cast<const char*>(g[0].raw_data());
          char* qa = static_cast<char*>(detail::mutable_raw_data(ga));
          char* qb = static_cast<char*>(detail::mutable_raw_data(gb));
          const std::int64_t rows = na + nb == 0 ? 0 : g[0].numel() / (na + nb);
          for (std::int64_t r = 0; r < rows; ++r) {
            std::memcpy(qa + static_cast<std::size_t>(r * na) * is, pg + static_cast<std::size_t>(r * (na + nb)) * is,
                        static_cast<std::size_t>(na) * is);
            std::memcpy(qb + static_cast<std::size_t>(r * nb) * is,
                        pg + static_cast<std::size_t>(r * (na + nb) + na) * is, static_cast<std::size_t>(nb) * is);
          }
          return TensorList{ga, gb};
        });
  return out;
}

}  // namespace

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
  if (cfg.return_sequences) yb = reverse_time(yb);  // back to input time order
  TensorList outs;
  const std::string& m = options_.merge_mode;
  if (m == "concat")
    outs.push_back(concat_last(yf, yb));
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
