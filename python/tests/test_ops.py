"""lamina.ops under keras.ops names, checked against NumPy; masks through ops; set_random_seed."""
import numpy as np
import pytest

import lamina
from lamina import ops

A = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], np.float32)
B = np.array([[0.5, 1.0, -1.0], [2.0, 0.0, 1.5]], np.float32)


@pytest.mark.parametrize("name, ref", [
    ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply), ("maximum", np.maximum),
    ("minimum", np.minimum), ("greater", np.greater), ("less_equal", np.less_equal), ("equal", np.equal),
])
def test_binary_ops_match_numpy(name, ref):
    np.testing.assert_array_equal(np.asarray(getattr(ops, name)(A, B)), ref(A, B))


@pytest.mark.parametrize("name, ref", [
    ("abs", np.abs), ("exp", np.exp), ("tanh", np.tanh), ("square", np.square), ("negative", np.negative),
    ("sign", np.sign), ("floor", np.floor), ("relu", lambda x: np.maximum(x, 0)),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
])
def test_unary_ops_match_numpy(name, ref):
    np.testing.assert_allclose(np.asarray(getattr(ops, name)(A)), ref(A), rtol=1e-6)


def test_reductions_and_shapes():
    np.testing.assert_allclose(np.asarray(ops.sum(A)), A.sum())
    np.testing.assert_allclose(np.asarray(ops.mean(A, axis=0)), A.mean(0))
    np.testing.assert_allclose(np.asarray(ops.max(A, axis=1, keepdims=True)), A.max(1, keepdims=True))
    np.testing.assert_allclose(np.asarray(ops.var(A, axis=1)), A.var(1), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(ops.argmax(A, axis=1)), A.argmax(1))
    np.testing.assert_array_equal(np.asarray(ops.argmax(A)), A.argmax())
    np.testing.assert_allclose(np.asarray(ops.cumsum(A, axis=1)), A.cumsum(1))
    np.testing.assert_array_equal(np.asarray(ops.reshape(A, (3, 2))), A.reshape(3, 2))
    np.testing.assert_array_equal(np.asarray(ops.transpose(A)), A.T)
    np.testing.assert_array_equal(np.asarray(ops.concatenate([A, B], axis=0)), np.concatenate([A, B]))
    np.testing.assert_array_equal(np.asarray(ops.stack([A, B], axis=1)), np.stack([A, B], 1))
    np.testing.assert_array_equal(np.asarray(ops.expand_dims(A, 0)), A[None])
    parts = ops.split(np.arange(6, dtype=np.float32), [2, 5])
    assert [np.asarray(p).tolist() for p in parts] == [[0, 1], [2, 3, 4], [5]]
    np.testing.assert_array_equal(np.asarray(ops.pad(A, [(1, 0), (0, 2)], constant_values=7)),
                                  np.pad(A, [(1, 0), (0, 2)], constant_values=7))
    assert ops.shape(A) == (2, 3) and ops.ndim(A) == 2


def test_matmul_take_where_cast_one_hot_softmax():
    np.testing.assert_allclose(np.asarray(ops.matmul(A, B.T)), A @ B.T)
    np.testing.assert_array_equal(np.asarray(ops.take(A, [2, 0], axis=1)), A[:, [2, 0]])
    np.testing.assert_array_equal(np.asarray(ops.take(A, [4])), A.reshape(-1)[[4]])
    np.testing.assert_array_equal(np.asarray(ops.where(A > 0, A, 0.0)), np.where(A > 0, A, 0))
    assert ops.cast(A, "int32").dtype == "int32"
    np.testing.assert_array_equal(np.asarray(ops.one_hot([0, 2], 3)), np.eye(3, dtype=np.float32)[[0, 2]])
    e = np.exp(A - A.max(1, keepdims=True))
    np.testing.assert_allclose(np.asarray(ops.softmax(A)), e / e.sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(ops.einsum("ij,kj->ik", A, B)), A @ B.T, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(ops.arange(5)), np.arange(5))
    assert ops.arange(5).dtype == "int32" and ops.zeros((2, 3)).dtype == "float32"


def test_masks_travel_through_ops_and_boolean_mask():
    x = lamina.Tensor(A).with_mask([[True, True, False], [True, False, False]])
    y = ops.exp(ops.multiply(x, 2))
    np.testing.assert_array_equal(y.mask, x.mask)
    # masked sum: row 0 = 1 - 2, row 1 = 4
    np.testing.assert_allclose(np.asarray(ops.sum(x, axis=1)), [-1.0, 4.0])
    np.testing.assert_array_equal(np.asarray(ops.boolean_mask(A, A > 0)), A[A > 0])
    np.testing.assert_array_equal(np.asarray(ops.sequence_mask([1, 3], 4)), [[1, 0, 0, 0], [1, 1, 1, 0]])


def test_set_random_seed_makes_draws_repeat():
    lamina.utils.set_random_seed(7)
    a = np.asarray(lamina.random.normal((3, 4)))
    lamina.utils.set_random_seed(7)
    b = np.asarray(lamina.random.normal((3, 4)))
    assert a.tobytes() == b.tobytes()
    lamina.utils.set_random_seed(8)
    assert np.asarray(lamina.random.normal((3, 4))).tobytes() != a.tobytes()


def test_gradient_tape_on_tensors_matches_the_derivative():
    x = lamina.Tensor(np.array([0.5, -1.0, 2.0], np.float32))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(ops.square(x) * 3.0)
    (g,) = tape.gradient(y, [x])
    np.testing.assert_allclose(np.asarray(g), 6 * np.asarray(x))
    w = lamina.Variable(np.array([1.0, 2.0], np.float32), name="w")
    with lamina.GradientTape() as tape:
        loss = ops.sum(ops.round(w * 2.0))
    assert tape.gradient(loss, [w]) == [None]  # round cuts the path


def test_tape_records_only_inside_the_with_block():
    x = lamina.Tensor(np.array([1.0, 2.0], np.float32))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        inside = ops.sum(x * x)
    outside = ops.sum(x * 3.0)
    np.testing.assert_allclose(np.asarray(tape.gradient(inside, x)), [2.0, 4.0])
    assert tape.gradient(outside, x) is None
