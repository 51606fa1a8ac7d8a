"""lamina.callbacks: Keras's callbacks; subclass Callback for your own hooks (call
super().__init__() in your __init__)."""
from ._core import callbacks as _core_callbacks

globals().update({k: v for k, v in vars(_core_callbacks).items() if not k.startswith("_")})
