#pragma once
// Embedding: integer ids (batch, ...) -> vectors (batch, ..., output_dim). With mask_zero,
// id 0 is padding: the output carries a mask that is false where the id is 0 (ANDed with
// any mask the ids already had), and that mask then travels with the tensor.
#include "lamina/layers/layer.hpp"

namespace lamina::layers {

struct EmbeddingOptions {
  bool mask_zero = false;
  InitializerSpec embeddings_initializer = "uniform";  // Keras: U(-0.05, 0.05)
  std::string name;
};

class EmbeddingLayer : public Layer {
 public:
  EmbeddingLayer(std::int64_t input_dim, std::int64_t output_dim, EmbeddingOptions options = {});
  void on_build(const std::vector<TensorSpec>& input_specs) override;
  Tensor call(const Tensor& ids, const Tensor& mask, bool training) override;
  bool supports_masking() const override { return true; }
  Json get_config() const override;
  const Variable& embeddings() const { return embeddings_; }

 private:
  std::int64_t input_dim_, output_dim_;
  EmbeddingOptions options_;
  Variable embeddings_;
};

class Embedding : public LayerHandle<EmbeddingLayer> {
 public:
  Embedding(std::int64_t input_dim, std::int64_t output_dim, EmbeddingOptions options = {})
      : LayerHandle(std::make_shared<EmbeddingLayer>(input_dim, output_dim, std::move(options))) {}
};

}  // namespace lamina::layers
