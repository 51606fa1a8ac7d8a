"""Tensors from and to NumPy, masks, and bad input as typed exceptions (issue 13, acceptance 5)."""
import numpy as np
import pytest

import lamina
from lamina import ops


def test_numpy_round_trip_keeps_values_dtype_and_shape():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    t = lamina.Tensor(a)
    assert t.dtype == "float32" and t.shape == (2, 3) and t.ndim == 2
    b = np.asarray(t)
    assert b.dtype == np.float32 and b.shape == (2, 3)
    np.testing.assert_array_equal(b, a)
    for dt, name in [(np.int32, "int32"), (np.int64, "int64"), (np.float64, "float64"), (np.bool_, "bool")]:
        u = lamina.Tensor(np.array([[1, 0, 1]], dtype=dt))
        assert u.dtype == name
        np.testing.assert_array_equal(np.asarray(u), np.array([[1, 0, 1]], dtype=dt))


def test_asarray_views_the_tensor_without_copying_and_read_only():
    t = lamina.Tensor(np.ones((3, 4), np.float32))
    a, b = np.asarray(t), np.asarray(t)
    assert np.shares_memory(a, b)
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[0, 0] = 5


def test_python_lists_and_scalars_follow_keras_dtypes():
    assert lamina.Tensor([1, 2, 3]).dtype == "int32"
    assert lamina.Tensor([[1.5, 2.0]]).dtype == "float32"
    assert lamina.Tensor(True).dtype == "bool"
    assert lamina.Tensor(3).shape == ()
    assert lamina.Tensor([1, 2], dtype="float64").dtype == "float64"
    # Other NumPy widths are widened: int8 -> int32, float16 -> float32, uint32 -> int64.
    assert lamina.Tensor(np.array([1], np.int8)).dtype == "int32"
    assert lamina.Tensor(np.array([1], np.float16)).dtype == "float32"
    assert lamina.Tensor(np.array([2**31], np.uint32)).dtype == "int64"
    assert np.asarray(lamina.Tensor(np.array([2**31], np.uint32)))[0] == 2**31


def test_non_contiguous_views_are_read_correctly():
    a = np.arange(24, dtype=np.float32).reshape(4, 6)
    for view in (a[:, ::2], a.T, a[::-1], a[1:3, 2:5]):
        np.testing.assert_array_equal(np.asarray(lamina.Tensor(view)), view)
    # Strided views are copied in C++ element by element: every rank, negative and zero
    # strides, integer dtypes, empty views, and views that then convert to another dtype.
    b = np.arange(2 * 3 * 5, dtype=np.int64).reshape(2, 3, 5)
    for view in (b[:, ::2, 1:4], b[::-1, :, ::-2], b.transpose(2, 0, 1), b[0, :, ::3], b[:, :, 0],
                 b[:, :0], b.astype(np.int32)[:, 1], np.broadcast_to(b[0, 0], (4, 5))):
        t = lamina.Tensor(view)
        assert t.dtype == ("int32" if view.dtype == np.int32 else "int64")
        np.testing.assert_array_equal(np.asarray(t), view)
    np.testing.assert_array_equal(np.asarray(lamina.Tensor(b[:, ::2], dtype="float32")), b[:, ::2].astype(np.float32))


def test_mask_is_a_numpy_bool_array_and_survives_arithmetic():
    x = np.arange(8, dtype=np.float32).reshape(2, 4, 1)
    m = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=bool)
    t = lamina.Tensor(x).with_mask(m)
    assert t.mask.dtype == np.bool_
    np.testing.assert_array_equal(t.mask, m)
    y = t * 2.0 + 1.0  # ops between layers keep the mask
    np.testing.assert_array_equal(y.mask, m)
    z = 10 - t
    np.testing.assert_array_equal(z.mask, m)
    assert lamina.Tensor(x).mask is None
    # The mean over a masked axis is over the valid steps only: (2*0+1 + 2*1+1)/2 = 2 and
    # (2*4+1 + 2*5+1 + 2*6+1)/3 = 11.
    np.testing.assert_allclose(np.asarray(ops.mean(y, axis=1)), [[2.0], [11.0]])


def test_nan_under_the_mask_is_harmless():
    x = np.array([[1.0, np.nan], [2.0, 3.0]], np.float32)
    t = lamina.Tensor(x).with_mask(np.array([[True, False], [True, True]]))
    np.testing.assert_allclose(np.asarray(ops.mean(t, axis=1)), [1.0, 2.5])
    assert np.isnan(np.asarray(lamina.Tensor(x)))[0, 1]  # NaN data itself passes through


def test_typed_exceptions_carry_lamina_messages():
    x = lamina.Tensor([10.0, 20.0, 30.0, 40.0])
    int_mask = lamina.Tensor([1, 0, 1, 0])
    with pytest.raises(lamina.DTypeError) as e:
        ops.boolean_mask(x, int_mask)
    assert isinstance(e.value, TypeError) and isinstance(e.value, lamina.Error)
    assert "DTypeError in op 'boolean_mask': mask must be a Bool tensor" in str(e.value)
    assert e.value.op == "boolean_mask" and "mask != 0" in e.value.hint
    np.testing.assert_array_equal(np.asarray(ops.boolean_mask(x, int_mask != 0)), [10.0, 30.0])
    with pytest.raises(lamina.ShapeError) as e:
        ops.add(np.ones((2, 3), np.float32), np.ones((4,), np.float32))
    assert isinstance(e.value, ValueError)
    assert issubclass(lamina.MaskError, ValueError) and issubclass(lamina.IOError, OSError)
    assert issubclass(lamina.GradientError, lamina.Error)


@pytest.mark.parametrize("bad, error", [
    ([[1, 2, 3], [4, 5]], lamina.ShapeError),                      # ragged lists
    ([[[1.0], [2.0]], [[3.0]]], lamina.ShapeError),
    (np.array([{"a": 1}, None], dtype=object), lamina.DTypeError),  # object arrays
    (np.array(["a", "b"]), lamina.DTypeError),                      # strings
    (np.array([1 + 2j]), lamina.DTypeError),                        # complex
    (np.array([1], dtype=np.uint64), lamina.DTypeError),
    (None, lamina.ValueError),
    (object(), lamina.DTypeError),
])
def test_bad_input_is_a_typed_exception(bad, error):
    with pytest.raises(error):
        lamina.Tensor(bad)
    with pytest.raises(error):
        ops.sum(bad)


def test_bad_dtype_names_and_symbolic_values():
    with pytest.raises(lamina.DTypeError):
        ops.cast([1, 2], "float16")
    with pytest.raises(lamina.ValueError):
        np.asarray(lamina.Input(shape=(3,)))


def test_indexing_and_operators():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = lamina.Tensor(a)
    np.testing.assert_array_equal(np.asarray(t[1]), a[1])
    np.testing.assert_array_equal(np.asarray(t[:, 1:3]), a[:, 1:3])
    np.testing.assert_array_equal(np.asarray(t @ lamina.Tensor(a.T)), a @ a.T)
    np.testing.assert_array_equal(np.asarray(t > 5), a > 5)
    np.testing.assert_array_equal(np.asarray(a * t), a * a)  # NumPy on the left defers to Lamina
    assert float(ops.sum(t)) == 66.0


def test_nan_and_out_of_range_values_convert_by_lamina_cast_rules():
    t = lamina.Tensor(np.array([np.nan, 1e30, -1e30, 2.7]), dtype="int32")  # NaN -> 0, saturation, truncation
    np.testing.assert_array_equal(np.asarray(t), [0, 2**31 - 1, -2**31, 2])
    np.testing.assert_array_equal(np.asarray(ops.cast(np.array([np.nan, np.inf], np.float32), "int32")), [0, 2**31 - 1])
    with pytest.raises(lamina.ValueError):
        lamina.Tensor(2**70)
    with pytest.raises(lamina.DTypeError):  # float token ids (NaN among them) into an Embedding
        lamina.layers.Embedding(10, 2)(np.array([[np.nan, 1.0]]))
    with pytest.raises(lamina.ValueError):
        lamina.layers.Embedding(10, 2)(np.array([[11]]))  # id out of range


def test_byte_swapped_and_fortran_arrays_are_read_correctly():
    a = np.arange(6, dtype=">f4").reshape(2, 3)  # big-endian
    np.testing.assert_array_equal(np.asarray(lamina.Tensor(a)), a.astype(np.float32))
    f = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(np.asarray(lamina.Tensor(f)), f)
