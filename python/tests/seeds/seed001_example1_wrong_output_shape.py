# Seed 001, example 1: a Lambda whose declared output_shape is wrong fails when the model is
# built, naming the layer, before any data.
import lamina
from lamina import layers, ops


def weighted_sum_incorrect(x):
    weights = lamina.random.normal((x.shape[2],))
    return ops.dot(x, weights)


input_tensor = lamina.Input(shape=(10, 100))
try:
    weighted_sum = layers.Lambda(weighted_sum_incorrect, output_shape=(100,))(input_tensor)
    model = lamina.Model(input_tensor, weighted_sum)
    model.compile(optimizer="adam", loss="mse")
    model.fit(lamina.random.normal((10, 10, 100)), lamina.random.normal((10, 100)), epochs=1)
except lamina.ShapeError as e:
    print(e)
