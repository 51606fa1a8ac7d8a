# Seed 000, example 3: where with a bool condition, and the error for an int one.
import lamina
from lamina import layers, ops

tensor = lamina.Tensor([10.0, 20.0, 30.0, 40.0])
mask = lamina.Tensor([True, False, True, False])
masked_tensor = layers.Lambda(lambda x: ops.where(mask, x, ops.zeros_like(x)))(tensor)
print(masked_tensor)
try:
    ops.where(lamina.Tensor([1, 0, 1, 0]), tensor, ops.zeros_like(tensor))
except lamina.DTypeError as e:
    print(e)
