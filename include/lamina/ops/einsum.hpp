#pragma once
// Einstein summation for the common contractions (NumPy / Keras ops.einsum semantics):
//   "ij,jk->ik" (matmul), "bij,bjk->bik" (batch matmul), "...ij,...jk->...ik" (leading batch
//   dims, broadcast against each other like NumPy's), "i,j->ij" (outer), "ij->ji"
//   (transpose), "ij->i" (sum over j), "bhqd,bhkd->bhqk" (attention scores), and any number
//   of operands (contracted left to right).
// Labels are letters a-z, A-Z; spaces are ignored. Without "->" the output holds the
// labels that appear once, in alphabetical (ASCII: uppercase first) order, after the "..."
// dims. A label repeated within one operand (traces, diagonals) is not supported. A bad
// equation is a ValueError giving the position of the offending character; operands that
// do not fit it are ShapeErrors naming the label and the sizes.
//
// dtypes: as matmul -- the operands promote, integers compute in Float32, Bool is a
// DTypeError. The result is computed with transpose, reshape, sum and matmul, so it has
// their gradients.
//
// Masks (DESIGN.md section 5): masked entries contribute nothing, whatever they hold
// (they are selected away before anything is multiplied, so a NaN there cannot leak);
// they get zero gradient. An operand's mask axes that are summed over become "any valid";
// its remaining mask axes carry to the output axes with the same labels, permuted with
// them and widened over the axes in between (as transpose does), so every layout keeps
// them. The output mask is the AND of what each operand contributes; a mask whose axes are
// all summed over contributes nothing.
#include <string>

#include "lamina/core/tensor.hpp"

namespace lamina {

Tensor einsum(const std::string& equation, const TensorList& operands);

}  // namespace lamina
