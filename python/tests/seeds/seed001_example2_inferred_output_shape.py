# Seed 001, example 2: without output_shape the Lambda's shape is inferred, and it trains.
import math

import lamina
from lamina import layers, ops


def weighted_sum_correct(x):
    weights = lamina.random.normal((x.shape[2],))
    return ops.sum(x * weights, axis=2)


lamina.utils.set_random_seed(1)
input_tensor = lamina.Input(shape=(10, 100))
weighted_sum = layers.Lambda(weighted_sum_correct)(input_tensor)
print("inferred output:", weighted_sum.spec)
model = lamina.Model(input_tensor, weighted_sum)
print("trainable weights:", len(model.trainable_weights))
model.compile(optimizer="adam", loss="mse")
history = model.fit(lamina.random.normal((10, 10, 100)), lamina.random.normal((10, 10)), epochs=1, verbose=0)
print("epochs run:", len(history.history["loss"]))
print("loss is finite:", str(math.isfinite(history.history["loss"][0])).lower())
