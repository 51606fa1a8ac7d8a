# Seed 003, example 1: adding a constant to an embedding keeps its mask, so the LSTM skips the
# padded steps of both tensors: each row equals the LSTM run on the row without its padding.
import lamina
from unpadded import matches_unpadded
from lamina import layers

lamina.utils.set_random_seed(1)
embedding_layer = layers.Embedding(100, 32, mask_zero=True)
input_tensor = lamina.Tensor([[1, 2, 0, 0], [3, 4, 5, 0]])
embedded_tensor = embedding_layer(input_tensor)
modified_tensor = embedded_tensor + 1.0
lstm_layer = layers.LSTM(64)
lstm_output_original = lstm_layer(embedded_tensor)
lstm_output_modified = lstm_layer(modified_tensor)
print("Shape of embedded tensor:", embedded_tensor.shape)
print("Shape of modified tensor:", modified_tensor.shape)
print("Shape of lstm_output_original:", lstm_output_original.shape)
print("Shape of lstm_output_modified:", lstm_output_modified.shape)
print("mask of modified tensor:")
print(lamina.Tensor(modified_tensor.mask))
print("lstm_output_modified equals the LSTM on each unpadded sequence:",
      str(matches_unpadded(lstm_layer, modified_tensor, lstm_output_modified, [2, 3])).lower())
print("lstm_output_original equals the LSTM on each unpadded sequence:",
      str(matches_unpadded(lstm_layer, embedded_tensor, lstm_output_original, [2, 3])).lower())
