"""lamina.layers: Keras's layers (Lamina's C++ layers), Lambda with Python functions, and
Layer, the base of custom Python layers (build, call(inputs, mask=None), compute_mask,
supports_masking, add_weight)."""
from ._core.layers import *  # noqa: F401,F403
from ._core.layers import Layer, Lambda, serialize, deserialize  # noqa: F401

_core_layer_init = Layer.__init__


def _layer_init(self, name=None, **kwargs):
    # A Python subclass's C++ side is named after its class (Keras's layer type).
    _core_layer_init(self, type(self).__name__, name)
    if kwargs.get("trainable") is False:
        self.trainable = False


Layer.__init__ = _layer_init
