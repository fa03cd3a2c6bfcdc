"""Errors the CLI turns into one clear line and exit code 2 (bad usage or configuration)."""


class UsageError(Exception):
    """Bad flags, a database URL that does not work, a file that is not there: exit code 2."""


class RunFailedError(Exception):
    """A started run that could not go on (a parse worker died): one clear line, exit code 1."""
