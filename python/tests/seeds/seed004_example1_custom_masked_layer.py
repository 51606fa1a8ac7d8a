# Seed 004, example 1: a custom masked layer in Python; a float mask is refused with the hint,
# a bool one works and rides on the output.
import lamina
from lamina import layers, ops


class MaskedLayer(layers.Layer):
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            return inputs * ops.cast(mask, inputs.dtype)
        return inputs


masked_layer = MaskedLayer()
input_tensor = lamina.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0], [6.0, 0.0, 0.0]])
mask_tensor = lamina.Tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
try:
    masked_layer(input_tensor, mask=mask_tensor)
except lamina.DTypeError as e:
    print(e)
output_tensor = masked_layer(input_tensor, mask=mask_tensor != 0)
print(output_tensor)
print("without a mask:")
print(masked_layer(input_tensor))
