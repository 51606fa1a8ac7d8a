# Seed 004, example 2: Embedding -> LSTM(return_sequences) -> Dense(1) fit with sample weights;
# mismatched targets are refused, per-timestep targets train on the valid steps only.
import numpy as np

import lamina
from lamina import layers

lamina.utils.set_random_seed(4)
model = lamina.Sequential([lamina.Input(shape=(None,), dtype="int32"), layers.Embedding(1000, 64, mask_zero=True),
                           layers.LSTM(128, return_sequences=True), layers.Dense(1)])
sequences = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]], np.int32)
masks = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], np.float32)
model.compile(optimizer="adam", loss="mse")
print("output:", model.outputs[0].spec)
try:
    model.fit(sequences, np.array([[1.0], [2.0]], np.float32), epochs=10, verbose=0, sample_weight=masks)
except lamina.ShapeError as e:
    print(e)
targets = np.array([1, 1, 1, 1, 1, 2, 2, 2, 2, 2], np.float32).reshape(2, 5, 1)
before = model(sequences)  # a Tensor, with its mask (predict returns plain NumPy)
print("prediction mask:", lamina.Tensor(before.mask))
p, valid = np.asarray(before, np.float64), before.mask
total = count = 0.0
for i in np.ndindex(valid.shape):
    if valid[i]:
        total += masks[i] * (p[i][0] - targets[i][0]) ** 2
        count += 1
history = model.fit(sequences, targets, epochs=10, verbose=0, sample_weight=masks)
loss = history.history["loss"]
print("epochs:", len(loss))
print("first epoch loss = masked mean by hand:", str(abs(loss[0] - total / count) < 1e-6 * (1 + total)).lower())
print("loss went down:", str(loss[-1] < loss[0]).lower())
