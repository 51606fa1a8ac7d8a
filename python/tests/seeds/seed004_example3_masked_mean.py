# Seed 004, example 3: the masked mean by hand, and with the mask attached.
import lamina
from lamina import ops

data = lamina.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0], [6.0, 0.0, 0.0]])
mask = lamina.Tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
masked_data = data * mask
masked_mean = ops.sum(masked_data, axis=1) / ops.sum(mask, axis=1)
print(masked_data)
print(masked_mean)
masked = data.with_mask(mask != 0)
print("mean with the mask attached:")
print(ops.mean(masked, axis=1))
try:
    data.with_mask(mask)
except lamina.DTypeError as e:
    print(e)
