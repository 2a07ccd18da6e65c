"""Errors a user can cause and fix.

The CLI and the app catch ``ClasswatchError`` and show its message as one
line; anything else is a bug and keeps its traceback.
"""


class ClasswatchError(Exception):
    """Base class: the message is shown to the user as it is."""


class InputError(ClasswatchError):
    """A path, image or video that cannot be read."""


class NoFacesError(ClasswatchError):
    """An input in which no face was found at all."""


class ModelError(ClasswatchError):
    """A model file or model card that is missing or corrupt."""


class CaptureError(ClasswatchError):
    """The screen region cannot be captured (off-screen, monitor gone, permission denied)."""


class SessionError(ClasswatchError):
    """A session database, session name, import file or export path that cannot be used."""


class SettingsError(ClasswatchError):
    """A setting value out of its range, or a settings file that cannot be saved."""


class PolicyError(ClasswatchError):
    """The admin policy forbids what was asked (a locked setting, an export format), or cannot be used."""
