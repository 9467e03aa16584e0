"""Typed errors the engine raises at its edges.

Every message is one sentence a person can act on; the CLI and the dashboard print
``str(error)`` as it is, never a traceback.
"""


class NSTError(Exception):
    """Base class of every error this package raises on purpose."""


class ImageError(NSTError):
    """An input image cannot be used (not an image, corrupt, too large, too small, ...)."""


class ModelUnavailable(NSTError):
    """No VGG19 weights could be found or fetched; the message says what to set."""


class ParamsError(NSTError, ValueError):
    """A parameter value is out of range, not a number, or not a known option."""
