#pragma once
// Attention (Luong dot-product, Keras's layers.Attention) and MultiHeadAttention (Keras's
// layers.MultiHeadAttention weight layout).
//
// Masks (DESIGN.md section 5), the same for both layers:
//   - a key is attended only where the value's mask and the key's mask (when a separate
//     key is given) are valid, and, with use_causal_mask, at positions j <= i;
//   - the softmax runs over the valid keys only (the mask-aware `softmax`): masked keys get
//     weight exactly 0, and a query row with no valid key gets all-zero weights and a zero
//     attention output, never NaN (Keras would spread the weight uniformly over padding);
//   - padded query rows get all-zero weights too, so the returned attention scores are 0
//     there (Keras leaves them as if unmasked; Attention's output is zero there in both);
//   - the output carries the query's mask; returned scores carry it on their query axis.
// A mask over (batch, time) is what these layers expect; a mask over (batch,) or over
// every axis is reduced to one validity flag per time step ("any feature valid").
//
// Options that Keras passes at call time (use_causal_mask, return_attention_scores) are
// layer options here; with return_attention_scores the layer returns {output, scores}.
#include <cstdint>
#include <optional>
#include <string>

#include "lamina/layers/layer.hpp"

namespace lamina::layers {

struct AttentionOptions {
  bool use_scale = false;             // a trainable scalar multiplying the scores (initially 1)
  std::string score_mode = "dot";     // "dot": q . k; "concat": sum(tanh(q + k))
  double dropout = 0.0;               // on the attention weights, in training
  std::optional<std::uint64_t> seed;  // for dropout; default from lm::set_seed's generator
  bool use_causal_mask = false;       // query i attends keys j <= i only
  bool return_attention_scores = false;
  std::string name;
};

// Inputs {query (B, Tq, D), value (B, Tv, Dv)} or {query, value, key (B, Tv, D)}; the key
// defaults to the value. Output (B, Tq, Dv); scores (B, Tq, Tv).
class AttentionLayer : public Layer {
 public:
  explicit AttentionLayer(AttentionOptions options = {});
  void on_build(const std::vector<TensorSpec>& input_specs) override;
  TensorList call(const TensorList& inputs, const TensorList& masks, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  const Variable& scale() const { return scale_; }                              // undefined without use_scale
  const Variable& concat_score_weight() const { return concat_score_weight_; }  // "concat" only

 private:
  AttentionOptions options_;
  Variable scale_, concat_score_weight_;
};

class Attention : public LayerHandle<AttentionLayer> {
 public:
  Attention(AttentionOptions options = {}) : LayerHandle(std::make_shared<AttentionLayer>(std::move(options))) {}
};

struct MultiHeadAttentionOptions {
  std::optional<std::int64_t> value_dim;  // default: key_dim
  double dropout = 0.0;                   // on the attention weights, in training
  bool use_bias = true;
  std::optional<std::int64_t> output_shape;  // output features; default: the query's
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec bias_initializer = "zeros";
  std::optional<std::uint64_t> seed;
  bool use_causal_mask = false;
  bool return_attention_scores = false;
  std::string name;
};

// Inputs {query (B, Tq, Fq), value (B, Tv, Fv)} or {query, value, key (B, Tv, Fk)}, optionally
// followed by an explicit Bool attention_mask broadcastable to (B, Tq, Tv) (true = may
// attend), which is ANDed with the masks the inputs carry. Output (B, Tq, output_shape);
// scores (B, num_heads, Tq, Tv).
//
// Weights, as Keras names and lays them out: query/kernel (Fq, H, key_dim), query/bias
// (H, key_dim); key/kernel (Fk, H, key_dim), key/bias; value/kernel (Fv, H, value_dim),
// value/bias (H, value_dim); attention_output/kernel (H, value_dim, F_out),
// attention_output/bias (F_out,). Queries are scaled by 1 / sqrt(key_dim).
// Only Keras's default attention over axis 1 of rank-3 inputs is supported.
class MultiHeadAttentionLayer : public Layer {
 public:
  MultiHeadAttentionLayer(std::int64_t num_heads, std::int64_t key_dim, MultiHeadAttentionOptions options = {});
  void on_build(const std::vector<TensorSpec>& input_specs) override;
  TensorList call(const TensorList& inputs, const TensorList& masks, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  std::int64_t num_heads() const { return num_heads_; }
  std::int64_t key_dim() const { return key_dim_; }
  std::int64_t value_dim() const { return value_dim_; }

  // Kernels and biases of the four projections (biases undefined without use_bias).
  struct Projection {
    Variable kernel, bias;
  };
  const Projection& query_dense() const { return query_; }
  const Projection& key_dense() const { return key_; }
  const Projection& value_dense() const { return value_; }
  const Projection& output_dense() const { return output_; }

 private:
  std::int64_t num_heads_, key_dim_, value_dim_;
  MultiHeadAttentionOptions options_;
  Projection query_, key_, value_, output_;
};

class MultiHeadAttention : public LayerHandle<MultiHeadAttentionLayer> {
 public:
  MultiHeadAttention(std::int64_t num_heads, std::int64_t key_dim, MultiHeadAttentionOptions options = {})
      : LayerHandle(std::make_shared<MultiHeadAttentionLayer>(num_heads, key_dim, std::move(options))) {}
};

}  // namespace lamina::layers
