# Seed 000, example 2: boolean_mask with a bool mask, and the clear error without the cast.
import lamina
from lamina import layers, ops

mask = ops.cast(lamina.Tensor([1, 0, 1, 0]), "bool")
tensor = lamina.Tensor([10.0, 20.0, 30.0, 40.0])
masked_tensor = layers.Lambda(lambda x: ops.boolean_mask(x, mask))(tensor)
print(masked_tensor)
int_mask = lamina.Tensor([1, 0, 1, 0])
try:
    ops.boolean_mask(tensor, int_mask)
except lamina.DTypeError as e:
    print(e)
