#pragma once
// Internal: one importer (layer_import.cpp: a Keras config from any writer -> a Lamina layer)
// and one exporter (layer_export.cpp: a Lamina layer -> the config Keras 3 writes) per Keras
// class; the table in layers.cpp pairs them with the class names.
#include <optional>
#include <string>

#include "io/keras/layers.hpp"
#include "io/keras/values.hpp"

namespace lamina::io::keras::layer_io {

using Importer = LayerRef (*)(const KerasConfig&, const ImportContext&);
using Exporter = Json (*)(const Layer&, const Json& lamina_config, const ExportTarget&);

LayerRef import_activation(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_batch_normalization(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_bidirectional(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_concatenate(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_conv1d(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_dense(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_dropout(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_embedding(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_flatten(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_lambda(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_layer_normalization(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_masking(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_repeat_vector(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_reshape(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_rnn(const KerasConfig& c, const ImportContext& ctx);
LayerRef import_time_distributed(const KerasConfig& c, const ImportContext& ctx);
// Instantiated in layer_import.cpp for the pooling and merge layers Keras has.
template <class Pool>
LayerRef import_window_pooling(const KerasConfig& c, const ImportContext& ctx);
template <class Pool>
LayerRef import_global_pooling(const KerasConfig& c, const ImportContext& ctx);
template <class Merge>
LayerRef import_merge(const KerasConfig& c, const ImportContext& ctx);

// The function name of a Lambda config whose function is registered with register_lambda.
std::optional<std::string> registered_lambda_for(const KerasConfig& c);

Json export_activation_layer(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_batch_normalization(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_bidirectional(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_concatenate(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_conv1d(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_dense(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_dropout(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_embedding(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_flatten(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_global_pooling(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_lambda(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_layer_normalization(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_masking(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_plain(const Layer& l, const Json& lc, const ExportTarget& t);  // name, trainable, dtype only
Json export_repeat_vector(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_reshape(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_rnn(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_time_distributed(const Layer& l, const Json& lc, const ExportTarget& t);
Json export_window_pooling(const Layer& l, const Json& lc, const ExportTarget& t);

}  // namespace lamina::io::keras::layer_io
