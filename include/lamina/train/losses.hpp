#pragma once
// The built-in losses, with Keras 3's names, formulas, options and configs
// (docs/losses-and-metrics.md). Each returns a shared, immutable loss.
//
// Unreduced shapes (as Keras): regression losses, binary crossentropy and hinge losses
// average over the last axis; categorical / sparse crossentropy, KL divergence, cosine
// similarity and categorical hinge reduce the class (feature) axis. So a (batch, time,
// classes) prediction gives a (batch, time) loss, and a (batch, 1) one a (batch,) loss.
#include <cstdint>
#include <string>
#include <vector>

#include "lamina/train/loss.hpp"

namespace lamina::losses {

LossRef MeanSquaredError();             // mean((y_true - y_pred)^2, -1)
LossRef MeanAbsoluteError();            // mean(|y_true - y_pred|, -1)
LossRef MeanAbsolutePercentageError();  // 100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, -1)
LossRef MeanSquaredLogarithmicError();  // mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2, -1)
LossRef Huber(double delta = 1.0);      // mean(0.5 e^2 if |e| <= delta else delta (|e| - delta / 2), -1)
LossRef LogCosh();                      // mean(log(cosh(y_pred - y_true)), -1), computed stably
LossRef Poisson();                      // mean(y_pred - y_true * log(y_pred + eps), -1)
LossRef KLDivergence();                 // sum(t * log(t / p), -1), t and p clipped to [eps, 1]
LossRef CosineSimilarity(std::int64_t axis = -1);  // -sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)
LossRef Hinge();                                   // mean(max(1 - t * y_pred, 0), -1); labels 0/1 become -1/1
LossRef SquaredHinge();                            // mean(max(1 - t * y_pred, 0)^2, -1); labels 0/1 become -1/1
LossRef CategoricalHinge();                        // max(neg - pos + 1, 0): pos = sum(t * p), neg = max((1 - t) * p)
LossRef BinaryCrossentropy(CrossentropyOptions options = {});
LossRef CategoricalCrossentropy(CrossentropyOptions options = {});
LossRef SparseCategoricalCrossentropy(SparseCrossentropyOptions options = {});

// By Keras name or alias: class names ("MeanSquaredError"), function names
// ("mean_squared_error"), loss names ("huber_loss") and the short aliases ("mse", "MSE",
// "mae", "mape", "msle", "bce", "kld", "logcosh", ...), all with default options.
// ValueError listing the known names otherwise.
LossRef get(const std::string& name);
// The same, with "crossentropy" / "ce" resolved from the shapes as Keras 3's
// compile_utils.get_loss does: y_pred's last dim 1 -> binary; y_true of lower rank, or
// y_true's last dim 1 with y_pred's > 1 -> sparse categorical; otherwise categorical.
LossRef get(const std::string& name, const TensorSpec& y_true, const TensorSpec& y_pred);
// Every name get() accepts, sorted.
std::vector<std::string> known_names();

// Rebuilds a loss from its get_config(). Every field get_config() writes is required and
// type-checked: a missing or mistyped field is a ValueError naming the loss and the field.
LossRef loss_from_config(const Json& config);

}  // namespace lamina::losses
