"""Python Lambdas and custom Python layers (issue 13, acceptance 4)."""
import numpy as np
import pytest

import lamina
from lamina import layers, ops


def test_lambda_shape_is_inferred_at_build_and_runs_on_data():
    x = lamina.Input(shape=(None, 3))
    y = layers.Lambda(lambda t: ops.sum(t * 2, axis=-1, keepdims=True), name="twice")(x)
    assert y.shape == (None, None, 1)
    model = lamina.Model(x, y)
    a = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    np.testing.assert_allclose(model.predict(a), (a * 2).sum(-1, keepdims=True))


def test_lambda_keeps_the_mask():
    x = lamina.Input(shape=(None,), dtype="int32")
    h = layers.Embedding(10, 4, mask_zero=True)(x)
    h = layers.Lambda(lambda t: t * 2)(h)
    assert h.has_mask
    concrete = layers.Lambda(lambda t: t + 1)(lamina.Tensor(np.ones((1, 3, 2), np.float32)).with_mask([[True, False, True]]))
    np.testing.assert_array_equal(concrete.mask, [[True, False, True]])
    np.testing.assert_array_equal(np.asarray(concrete), np.full((1, 3, 2), 2.0))


def test_lambda_declared_wrong_output_shape_fails_at_build():
    x = lamina.Input(shape=(10, 100))
    with pytest.raises(lamina.ShapeError) as e:
        layers.Lambda(lambda t: ops.sum(t, axis=-1), output_shape=(100,), name="weighted_sum")(x)
    assert "weighted_sum" in str(e.value)


def conditional_transform(x):
    if float(ops.sum(x)) > 0:
        return x * 2
    return None  # the seed's bug: should be ops.zeros_like(x)


def test_lambda_returning_none_names_the_layer_and_shape():
    inp = lamina.Input(shape=(3,))
    model = lamina.Model(inp, layers.Lambda(lambda x: x * 2)(inp))
    assert model.outputs[0].shape == (None, 3)
    with pytest.raises(lamina.ValueError) as e:
        layers.Lambda(conditional_transform, name="cond")(np.array([[1, 2, 3], [-1, -2, -3]], np.float32))
    msg = str(e.value)
    assert "layer 'cond' (Lambda)" in msg and "the function returned an undefined tensor" in msg
    assert "(2, 3)" in msg


def test_lamina_error_inside_a_lambda_keeps_its_type():
    def bad(x):
        return ops.boolean_mask(x, ops.cast(x, "int32"))
    with pytest.raises(lamina.DTypeError) as e:
        layers.Lambda(bad)(np.ones((2, 2), np.float32))
    assert "mask must be a Bool tensor" in str(e.value)


def test_python_exception_inside_a_lambda_is_a_lamina_value_error():
    def broken(x):
        raise KeyError("nope")
    with pytest.raises(lamina.ValueError) as e:
        layers.Lambda(broken, name="broken")(np.ones((1, 2), np.float32))
    assert "broken" in str(e.value) and "nope" in str(e.value)


class Scale(layers.Layer):
    """y = x * w (w per feature); passes the mask on."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, inputs, mask=None):
        return inputs * self.w


class MaskedSum(layers.Layer):
    """Sums over time, honouring the mask it receives; the output has no mask."""

    supports_masking = True

    def call(self, inputs, mask=None):
        m = ops.cast(mask, "float32") if mask is not None else 1.0
        return ops.sum(inputs.without_mask() * ops.expand_dims(m, -1), axis=1)

    def compute_mask(self, inputs, mask=None):
        return None


def test_custom_layer_build_call_mask_and_weights():
    x = lamina.Input(shape=(None,), dtype="int32")
    h = layers.Embedding(6, 3, mask_zero=True, name="emb")(x)
    s = Scale(name="scale")
    h = s(h)
    assert h.shape == (None, None, 3) and h.has_mask
    out = MaskedSum(name="msum")(h)
    assert out.shape == (None, 3) and not out.has_mask
    model = lamina.Model(x, out)
    emb = np.arange(18, dtype=np.float32).reshape(6, 3)
    model.get_layer("emb").set_weights([emb])
    s.set_weights([np.array([1.0, 2.0, 3.0], np.float32)])
    ids = np.array([[1, 2, 0], [5, 0, 0]])
    expected = np.stack([(emb[1] + emb[2]) * [1, 2, 3], emb[5] * [1, 2, 3]])
    np.testing.assert_allclose(model.predict(ids), expected)
    assert [w.name for w in s.weights] == ["scale/w"]
    assert model.get_layer("scale") is s


def test_gradient_through_a_python_layer_matches_finite_differences():
    lamina.utils.set_random_seed(5)
    s = Scale()
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)
    s(x)  # builds
    w0 = np.array([0.3, -0.2, 0.7], np.float32)

    def f(w):
        s.set_weights([w])
        return ops.sum(ops.tanh(s(x)))

    s.set_weights([w0])
    with lamina.GradientTape() as tape:
        loss = ops.sum(ops.tanh(s(x)))
    (g,) = tape.gradient(loss, s.trainable_weights)
    eps = 1e-2
    fd = []
    for i in range(3):
        d = np.zeros(3, np.float32)
        d[i] = eps
        fd.append((float(f(w0 + d)) - float(f(w0 - d))) / (2 * eps))
    np.testing.assert_allclose(np.asarray(g), fd, rtol=2e-3, atol=1e-4)
    # By hand: d/dw_j sum tanh(x w) = sum_i x_ij (1 - tanh(x_ij w_j)^2)
    np.testing.assert_allclose(np.asarray(g), (x * (1 - np.tanh(x * w0) ** 2)).sum(0), rtol=1e-5)


def test_registered_function_is_saved_by_name(tmp_path):
    @lamina.saving.register_function("py_double")
    def double(x):
        return x * 2

    inp = lamina.Input(shape=(2,))
    model = lamina.Model(inp, layers.Lambda(double)(inp))
    path = str(tmp_path / "lambda.lamina")
    model.save(path)
    again = lamina.models.load_model(path)
    np.testing.assert_array_equal(again.predict(np.array([[1.0, 2.0]], np.float32)), [[2.0, 4.0]])


def test_custom_python_layer_saved_and_loaded(tmp_path):
    @lamina.saving.register_keras_serializable()
    class Offset(layers.Layer):
        def __init__(self, amount=1.0, **kwargs):
            super().__init__(**kwargs)
            self.amount = amount

        def build(self, input_shape):
            self.b = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="b")

        def call(self, inputs):
            return inputs * self.amount + self.b

        def get_config(self):
            return {**super().get_config(), "amount": self.amount}

    inp = lamina.Input(shape=(2,))
    layer = Offset(amount=3.0, name="offset")
    model = lamina.Model(inp, layer(inp))
    layer.set_weights([np.array([0.5, -1.0], np.float32)])
    x = np.array([[1.0, 2.0]], np.float32)
    np.testing.assert_allclose(model.predict(x), [[3.5, 5.0]])
    assert layer.get_config()["amount"] == 3.0 and layer.get_config()["name"] == "offset"
    path = str(tmp_path / "offset.lamina")
    model.save(path)
    again = lamina.models.load_model(path)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    assert type(again.get_layer("offset")) is Offset
