# Seed 002, example 2: "in-place" mutation inside a Lambda: `x *= 2` rebinds the local name to a
# new tensor (Lamina tensors are immutable), so the caller's X is untouched and the gradient
# is the one of 2 * x.
import lamina
from lamina import layers, ops


def inplace_mutation(x):
    x *= 2
    return x


input_tensor = lamina.Input(shape=(3,))
lambda_layer = layers.Lambda(inplace_mutation)(input_tensor)
model = lamina.Model(input_tensor, lambda_layer)
optimizer = lamina.optimizers.Adam(learning_rate=0.01)
loss_function = lamina.losses.MeanSquaredError()
X = lamina.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
y = lamina.Tensor([[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]])
with lamina.GradientTape() as tape:
    tape.watch(X)
    y_pred = model(X)
    loss = loss_function(y, y_pred)
    total = ops.sum(y_pred)
gradients = tape.gradient(loss, model.trainable_weights)
optimizer.apply_gradients(zip(gradients, model.trainable_weights))  # no weights: nothing to do
print("y_pred:")
print(y_pred)
print("loss:", loss)
print("X after the call:")
print(X)
print("d sum(y_pred) / dX:")
print(tape.gradient(total, X))
