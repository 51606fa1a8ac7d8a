#pragma once
// NumPy's .npy array files (format versions 1.0, 2.0 and 3.0):
//   "\x93NUMPY", major, minor, header length (2 bytes LE in 1.0, 4 bytes in 2.0/3.0),
//   a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//   padded with spaces and ended by '\n', then the raw array data.
// Reading: '<f4' -> Float32, '<f8' -> Float64, '<i4' -> Int32, '<i8' -> Int64, '|b1' -> Bool;
// '|i1', '|u1', '<i2', '<u2' -> Int32 and '<u4' -> Int64 (widened, exact); big-endian ('>')
// variants are byte-swapped; fortran_order True arrays are transposed into C (row-major) order.
// Everything else (float16, uint64, complex, strings, objects, structured dtypes) is refused
// with a ValueError. The data must be exactly the size the header declares.
// Writing: version 1.0, C order, little-endian, values only (a tensor's mask is not stored),
// at most 64 dims (NumPy's limit). docs/file-format.md has the details.
#include <string>
#include <string_view>

#include "lamina/core/tensor.hpp"

namespace lamina::io {

// Decodes a whole .npy file held in memory; ValueError naming `source_name` for bad content.
Tensor decode_npy(std::string_view bytes, const std::string& source_name = "<memory>");
// Memory-maps (or reads) the file and decodes it; IOError when it cannot be read.
Tensor load_npy(const std::string& path);
// The .npy bytes of a concrete tensor; ValueError for undefined/symbolic tensors or > 64 dims.
std::string encode_npy(const Tensor& t);
void save_npy(const std::string& path, const Tensor& t);  // atomic (write_file_atomic)

}  // namespace lamina::io
