#pragma once
// pad_sequences: Keras's keras.utils.pad_sequences, returning the padded tensor with its mask.
//
//   auto x = lm::data::pad_sequences({{1}, {2, 3}, {4, 5, 6}});
//   // int32 [[0, 0, 1], [0, 2, 3], [4, 5, 6]], mask [[F, F, T], [F, T, T], [T, T, T]]
//
// Semantics are Keras's: the width is `maxlen`, or the longest sequence; "pre" padding puts
// the padding before the values, "post" after; sequences longer than the width lose their
// start ("pre" truncating, the default) or their end ("post"). The mask is true exactly at
// the positions holding a value of the sequence -- also when that value equals `value`.
// Where Keras fails (maxlen = 0 with "pre" truncating raises a NumPy broadcast error; an
// empty list of sequences without maxlen raises), Lamina returns the (n, 0) or (0, 0) tensor.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lamina/core/tensor.hpp"

namespace lamina::data {

struct PadOptions {
  std::optional<std::int64_t> maxlen;  // default: the longest sequence
  std::string padding = "pre";         // "pre" | "post"
  std::string truncating = "pre";      // "pre" | "post"
  double value = 0;                    // the padding value; must be exact in dtype
  DType dtype = Int32;                 // Int32, Int64, Float32 or Float64
};

// An (n, maxlen) tensor of `options.dtype` with a Bool (n, maxlen) mask. ValueError naming
// the option for a bad option, and naming the sequence and position for a value that does
// not fit an integer dtype.
Tensor pad_sequences(const std::vector<std::vector<std::int64_t>>& sequences, const PadOptions& options = {});

namespace detail {
// The checks pad_sequences and BucketedBatches share: `what` names the caller in messages.
void check_side_option(const std::string& value, const char* option, const char* what);
}  // namespace detail

}  // namespace lamina::data
