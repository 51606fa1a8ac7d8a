// .keras: the zip container (libzip), config.json, and model.weights.h5 (libhdf5, in its
// child process), then building and filling the model.
#include "fuzz_support.hpp"
#include "lamina/io/keras.hpp"

LAMINA_FUZZ_TARGET(lamina::io::decode_keras(bytes, "fuzz.keras"))
