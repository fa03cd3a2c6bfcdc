"""Errors the CLI turns into one clear line and exit code 2 (bad usage or configuration)."""


class UsageError(Exception):
    """Bad flags, a database URL that does not work, a file that is not there: exit code 2."""
