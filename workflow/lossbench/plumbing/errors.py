"""Errors that carry a message meant for the user, not a traceback."""


class LossbenchError(Exception):
    """A problem the user can fix; the message says what and how."""


class ConfigError(LossbenchError):
    """A configuration value is not allowed; the message names the key, value and the choices."""


class DamagedFileError(LossbenchError):
    """A cached or produced file cannot be read; the message names the file and the fix."""


def delete_and_rerun(path, then: str = "it is rebuilt") -> str:
    """The advice of every damaged-file message: a command that works, as the tests run it
    (the workflow's default target makes every intermediate file, so a deleted one comes back)."""
    return f"delete it (rm '{path}') and rerun snakemake as before: {then}"
