# Seed 000, example 1, from Python: an int32 mask multiplied into a float tensor promotes (as
# C++), strict dtypes make it a DTypeError, and the hint's cast fixes it.
import numpy as np

import lamina
from lamina import layers, ops

mask = np.array([1, 0, 1, 0], dtype=np.int32)
tensor = lamina.Tensor([10.0, 20.0, 30.0, 40.0])
masked_tensor = layers.Lambda(lambda x: x * mask)(tensor)
print(masked_tensor)
lamina.config.set_strict_dtypes(True)
try:
    print(tensor * mask)
except lamina.DTypeError as e:
    print(e)
print(tensor * ops.cast(mask, "float32"))
