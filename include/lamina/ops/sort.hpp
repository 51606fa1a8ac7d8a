#pragma once
// Sorting along an axis: sort, argsort (stable), and top_k along the last axis.
//
// Order: numbers compare as usual, false < true, and NaN is larger than everything (+inf
// included), so an ascending sort puts NaNs last (as NumPy) and top_k picks them first
// (as PyTorch). Equal entries keep their order: ties go to the lower index, in
// ascending and descending sorts alike (TF's top_k breaks ties the same way).
// Indices are Int32 (as TF and Keras); an axis longer than 2^31 - 1 is a ValueError.
//
// Masks (DESIGN.md section 5): masked entries sort last whatever they hold, in index order,
// and hold 0 in the sorted values; along a masked axis the output mask marks where they
// went (the first `count(valid)` slots of each line are valid). Along an unmasked axis a
// masked line is all padding: its values are 0, its indices 0, 1, 2, ..., and the output
// keeps the input's mask. top_k picks valid entries only, unless a row has fewer than k:
// then the remaining slots take masked positions in index order, hold 0, and are marked
// invalid in the output mask (..., k) -- the indices stay in range, so they can be fed to
// gather. Gradients: sort and top_k's values pass the gradient back to the entries they
// picked (zero at masked ones); argsort and top_k's indices are integers and cut the path.
#include <cstdint>

#include "lamina/core/tensor.hpp"

namespace lamina {

Tensor sort(const Tensor& x, std::int64_t axis = -1, bool descending = false);
// The permutation that sorts x along `axis`: sort(x) is x gathered at argsort(x) per line.
Tensor argsort(const Tensor& x, std::int64_t axis = -1, bool descending = false);

struct TopK {
  Tensor values;   // (..., k), x's dtype
  Tensor indices;  // (..., k), Int32: positions along the last axis
};
// The k largest entries of each row (last axis), largest first when `sorted`, else in the
// order of their positions. 0 <= k <= the last dimension (ValueError otherwise; with an
// unknown last dimension the check waits for the data).
TopK top_k(const Tensor& x, std::int64_t k, bool sorted = true);

}  // namespace lamina
