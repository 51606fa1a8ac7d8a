#include "lamina/layers/embedding.hpp"

#include "lamina/core/error.hpp"
#include "lamina/ops/compare.hpp"
#include "lamina/ops/index.hpp"
#include "lamina/ops/mask.hpp"

namespace lamina::layers {

EmbeddingLayer::EmbeddingLayer(std::int64_t input_dim, std::int64_t output_dim, EmbeddingOptions options)
    : Layer("Embedding", options.name), input_dim_(input_dim), output_dim_(output_dim), options_(std::move(options)) {
  LayerScope scope(name(), type());  // errors name the layer
  if (input_dim <= 0 || output_dim <= 0)
    throw ValueError({.problem = "Embedding needs positive input_dim (vocabulary size) and output_dim",
                      .expected = "input_dim >= 1 and output_dim >= 1",
                      .found = std::to_string(input_dim) + " and " + std::to_string(output_dim),
                      .hint = "input_dim is the vocabulary size (largest token id + 1), output_dim the vector size"});
}

void EmbeddingLayer::on_build(const std::vector<TensorSpec>&) {
  embeddings_ = add_weight("embeddings", Shape{input_dim_, output_dim_}, options_.embeddings_initializer);
}

Tensor EmbeddingLayer::call(const Tensor& ids, const Tensor&, bool) {
  if (!is_integer(ids.dtype()))
    throw DTypeError({.problem = "Embedding looks up integer token ids",
                      .expected = "int32 or int64 ids",
                      .found = std::string(dtype_name(ids.dtype())),
                      .hint = "cast the ids: lm::cast(ids, lm::Int32)"});
  Tensor keyed = ids;
  if (options_.mask_zero) {
    // Valid where the id is not 0 and the ids' own mask (if any) says valid.
    keyed = ids.with_mask((ids.without_mask() != 0) & full_mask(ids));
  }
  // gather carries the ids' mask onto the leading (batch, ...) axes of the vectors.
  return gather(embeddings_.value(), keyed, 0);
}

Json EmbeddingLayer::get_config() const {
  Json c = Layer::get_config();
  c["input_dim"] = input_dim_;
  c["output_dim"] = output_dim_;
  c["mask_zero"] = options_.mask_zero;
  c["embeddings_initializer"] = options_.embeddings_initializer.name();
  return c;
}

}  // namespace lamina::layers
