"""lamina.callbacks: Keras's callbacks; subclass Callback for your own hooks (call
super().__init__() in your __init__)."""
from ._core.callbacks import *  # noqa: F401,F403
from ._core.callbacks import Callback, History  # noqa: F401
