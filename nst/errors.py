"""Typed errors the engine raises at its edges, and how an OS error reads in one of their sentences.

Every message is one sentence a person can act on; the CLI and the dashboard print
``str(error)`` as it is, never a traceback.
"""


import errno


class NSTError(Exception):
    """Base class of every error this package raises on purpose."""


class ImageError(NSTError):
    """An input image cannot be used (not an image, corrupt, too large, too small, ...)."""


class ModelUnavailable(NSTError):
    """No VGG19 weights could be found or fetched; the message says what to set."""


class ParamsError(NSTError, ValueError):
    """A parameter value is out of range, not a number, or not a known option."""


class StoreError(NSTError):
    """The run store cannot do what was asked; the message is one sentence to act on."""


class FastModelUnavailable(NSTError):
    """The fast stylization model cannot be loaded; the message says what to set."""


def describe_os_error(error: OSError) -> str:
    """An OSError as the end of a sentence: "permission denied", "the disk is full ...", ..."""
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return "the disk is full (or over quota); free some space and try again"
    if isinstance(error, PermissionError) or error.errno == errno.EACCES:
        return "permission denied"
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        return "part of the folder path is a file, not a folder"
    if isinstance(error, IsADirectoryError):
        return "a folder with that name is in the way"
    if error.errno == errno.EROFS:
        return "the disk is read-only"
    return (error.strerror or str(error) or "unknown system error").lower()
