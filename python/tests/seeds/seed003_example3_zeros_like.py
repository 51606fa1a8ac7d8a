# Seed 003, example 3: zeros_like keeps the mask, so the SimpleRNN still skips the padding;
# without the mask the padded steps (with a bias) change the output.
import lamina
from unpadded import matches_unpadded
from lamina import layers, ops

lamina.utils.set_random_seed(3)
embedding_layer = layers.Embedding(100, 32, mask_zero=True)
input_tensor = lamina.Tensor([[1, 2, 0, 0], [3, 4, 5, 0]])
embedded_tensor = embedding_layer(input_tensor)
replacement_tensor = ops.zeros_like(embedded_tensor)
replaced_tensor = replacement_tensor
rnn_layer = layers.SimpleRNN(64, bias_initializer="random_normal")  # a bias, so padded steps would show
rnn_output_original = rnn_layer(embedded_tensor)
rnn_output_modified = rnn_layer(replaced_tensor)
print("Shape of embedded tensor:", embedded_tensor.shape)
print("Shape of replaced tensor:", replaced_tensor.shape)
print("Shape of rnn_output_original:", rnn_output_original.shape)
print("Shape of rnn_output_modified:", rnn_output_modified.shape)
print("mask of replaced tensor:")
print(lamina.Tensor(replaced_tensor.mask))
print(f"sum of |replaced tensor|: {float(ops.sum(ops.abs(replaced_tensor))):g}")
print("rnn_output_modified equals the SimpleRNN on each unpadded sequence:",
      str(matches_unpadded(rnn_layer, replaced_tensor, rnn_output_modified, [2, 3])).lower())
unmasked = rnn_layer(replaced_tensor.without_mask())
print("without the mask the padded steps change it:",
      str(float(ops.max(ops.abs(unmasked - rnn_output_modified))) > 1e-4).lower())
