"""Errors that carry a message meant for the user, not a traceback."""


class LossbenchError(Exception):
    """A problem the user can fix; the message says what and how."""


class ConfigError(LossbenchError):
    """A configuration value is not allowed; the message names the key, value and the choices."""


class DamagedFileError(LossbenchError):
    """A cached or produced file cannot be read; the message names the file and the fix."""
