"""lamina.layers: Keras's layers (Lamina's C++ layers), Lambda with Python functions, and
Layer, the base of custom Python layers (build, call(inputs, mask=None), compute_mask,
supports_masking, add_weight)."""
from ._core import layers as _core_layers

globals().update({k: v for k, v in vars(_core_layers).items() if not k.startswith("_")})
Layer = _core_layers.Layer

_core_layer_init = Layer.__init__


def _layer_init(self, name=None, **kwargs):
    # A Python subclass's C++ side is named after its class (Keras's layer type).
    _core_layer_init(self, type(self).__name__, name)
    if kwargs.get("trainable") is False:
        self.trainable = False


Layer.__init__ = _layer_init

from ._core import Input  # noqa: E402,F401  (keras.layers.Input)
