// Legacy Keras .h5: model_config / training_config attributes and model_weights.
#include "fuzz_support.hpp"
#include "lamina/io/keras.hpp"

LAMINA_FUZZ_TARGET(lamina::io::decode_keras_h5(bytes, "fuzz.h5"))
