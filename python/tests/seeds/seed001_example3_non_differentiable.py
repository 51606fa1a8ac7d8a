# Seed 001, example 3: a Lambda that picks entries by random integer indices: the indices carry
# no gradient, the values do, so the Dense weights still learn; rounding the values instead
# cuts the path, which fit reports before the first step.
import math

import lamina
from lamina import layers, ops


def non_diff_func(x):
    batch, steps, features = x.shape
    indices = ops.cast(ops.round(lamina.random.uniform((batch, steps), minval=0, maxval=features - 1)), "int32")
    rows = ops.broadcast_to(ops.reshape(ops.arange(batch), (batch, 1)), (batch, steps))
    cols = ops.broadcast_to(ops.arange(steps), (batch, steps))
    return ops.gather_nd(x, ops.stack([rows, cols, indices], axis=-1))


def build(fn):
    lamina.utils.clear_session()
    input_tensor = lamina.Input(shape=(10, 100))
    x = layers.Dense(100)(input_tensor)
    select_random = layers.Lambda(fn, name="select_random")(x)
    return lamina.Model(input_tensor, select_random)


lamina.utils.set_random_seed(3)
x_train = lamina.random.normal((10, 10, 100))
y_train = lamina.random.normal((10, 10))
model = build(non_diff_func)
print("output:", model.outputs[0].spec)
with lamina.GradientTape() as tape:
    loss = ops.mean(ops.square(model(x_train) - y_train))
grads = tape.gradient(loss, model.trainable_weights)
for w, g in zip(model.trainable_weights, grads):
    print(f"gradient reaches {w.name}:", "yes" if g is not None else "no")
del tape
model.compile(optimizer="adam", loss="mse")
history = model.fit(x_train, y_train, epochs=1, verbose=0)
print("fit ran, loss is finite:", str(math.isfinite(history.history["loss"][0])).lower())
cut = build(lambda t: ops.round(ops.mean(t, axis=-1)))
cut.compile(optimizer="adam", loss="mse")
try:
    cut.fit(x_train, y_train, epochs=1, verbose=0)
except lamina.GradientError as e:
    print(e)
