// NumPy .npy arrays (lamina predict --input).
#include "fuzz_support.hpp"
#include "lamina/io/npy.hpp"

LAMINA_FUZZ_TARGET(lamina::io::decode_npy(bytes, "fuzz.npy"))
