# Seed 003, example 2: multiplying by a hand-made float mask keeps the Embedding's mask, so the
# GRU's outputs are unchanged and equal the GRU on each unpadded sequence.
import lamina
from unpadded import matches_unpadded
from lamina import layers, ops

lamina.utils.set_random_seed(2)
embedding_layer = layers.Embedding(100, 32, mask_zero=True)
input_tensor = lamina.Tensor([[1, 2, 0, 0], [3, 4, 5, 0]])
embedded_tensor = embedding_layer(input_tensor)
manual_mask = ops.cast(input_tensor != 0, "float32")
manual_mask = ops.expand_dims(manual_mask, -1)
masked_tensor = embedded_tensor * manual_mask
gru_layer = layers.GRU(64)
gru_output_original = gru_layer(embedded_tensor)
gru_output_modified = gru_layer(masked_tensor)
print("Shape of embedded tensor:", embedded_tensor.shape)
print("Shape of masked tensor:", masked_tensor.shape)
print("Shape of gru_output_original:", gru_output_original.shape)
print("Shape of gru_output_modified:", gru_output_modified.shape)
print("mask of masked tensor:")
print(lamina.Tensor(masked_tensor.mask))
same = float(ops.max(ops.abs(gru_output_modified - gru_output_original))) < 1e-6
print("gru_output_modified equals gru_output_original:", str(same).lower())
print("gru_output_modified equals the GRU on each unpadded sequence:",
      str(matches_unpadded(gru_layer, masked_tensor, gru_output_modified, [2, 3])).lower())
