# Seed 002, example 1: a Lambda that returns None on one branch: Lamina's ValueError names the
# model, the layer and the input shape.
import numpy as np

import lamina
from lamina import layers, ops


def conditional_transform(x):
    if float(ops.sum(x)) > 0:
        return x * 2
    return None  # should be ops.zeros_like(x)


input_tensor = lamina.Input(shape=(3,))
lambda_layer = layers.Lambda(conditional_transform)(input_tensor)
model = lamina.Model(input_tensor, lambda_layer)
X = np.array([[1, 2, 3], [-1, -2, -3]], np.float32)  # sums to 0: the None branch
y = np.array([[2, 4, 6], [0, 0, 0]], np.float32)
try:
    with lamina.GradientTape() as tape:
        y_pred = model(X)
except lamina.ValueError as e:
    print("Error:", e)
