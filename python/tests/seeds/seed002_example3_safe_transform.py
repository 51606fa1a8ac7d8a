# Seed 002, example 3: every branch returns a tensor (zeros_like), so training runs.
import lamina
from lamina import layers, ops


def safe_transform(x):
    if float(ops.sum(x)) > 0:
        return x * 2
    return ops.zeros_like(x)


def safe_mutation(x):
    return x * 2


input_tensor = lamina.Input(shape=(3,))
lambda_layer_safe = layers.Lambda(safe_transform)(input_tensor)
lambda_layer_safe_mutation = layers.Lambda(safe_mutation)(lambda_layer_safe)
model_safe = lamina.Model(input_tensor, lambda_layer_safe_mutation)
optimizer_safe = lamina.optimizers.Adam(learning_rate=0.01)
loss_function_safe = lamina.losses.MeanSquaredError()
X = lamina.Tensor([[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]])  # sums to 0: zeros_like
y = lamina.Tensor([[2.0, 4.0, 6.0], [0.0, 0.0, 0.0]])
with lamina.GradientTape() as tape:
    y_pred = model_safe(X)
    loss = loss_function_safe(y, y_pred)
gradients = tape.gradient(loss, model_safe.trainable_weights)
optimizer_safe.apply_gradients(zip(gradients, model_safe.trainable_weights))
print("y_pred:")
print(y_pred)
print("loss:", loss)
print("Training ran successfully!")
