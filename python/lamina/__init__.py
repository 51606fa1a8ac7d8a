"""Lamina from Python: Keras 3's API over Lamina's C++ core (a thin pybind11 binding).

    import lamina
    x = lamina.Input(shape=(None,), dtype="int32")
    h = lamina.layers.Embedding(20000, 64, mask_zero=True)(x)
    ...
See docs/python.md.
"""
import sys as _sys

from . import _core
from ._core import (Error, ShapeError, DTypeError, MaskError, GradientError, ValueError, IOError,  # noqa: A004
                    Tensor, Variable, GradientTape, Input, Model)
from ._core import ops, random, utils, config, optimizers, losses, metrics, saving, models
from . import layers, callbacks


class Sequential(Model):
    """A linear stack of layers: Sequential([layers...], name=None) (Keras)."""

    def __init__(self, layers=None, trainable=True, name=None):
        Model.__init__(self, name=name, _sequential=list(layers or []))
        self.trainable = trainable

    def add(self, layer):
        self._add(layer)

    def pop(self):
        self._pop()


def _variable_operator(name):
    def op(self, *args):
        return getattr(self.value, name)(*args)
    op.__name__ = name
    return op


for _op in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
            "__pow__", "__matmul__", "__rmatmul__", "__neg__", "__getitem__", "__lt__", "__le__", "__gt__", "__ge__"):
    setattr(Variable, _op, _variable_operator(_op))
Variable.__array_ufunc__ = None

models.Sequential = Sequential
models.Model = Model
for _name in ("ops", "random", "utils", "config", "optimizers", "losses", "metrics", "saving", "models"):
    _sys.modules[__name__ + "." + _name] = getattr(_core, _name)

__version__ = "0.1.0"


def _register_keras_serializable(package="Custom", name=None):
    """Decorator (keras.saving.register_keras_serializable): a Layer subclass is registered under
    its class name (or `name`) so load_model rebuilds it with cls(**get_config()); a function is
    registered as a Lambda function (saving.register_function)."""
    def decorate(obj):
        if isinstance(obj, type) and issubclass(obj, layers.Layer):
            return saving.register_layer(obj, name)
        return saving.register_function(name)(obj)
    return decorate


saving.register_keras_serializable = _register_keras_serializable
