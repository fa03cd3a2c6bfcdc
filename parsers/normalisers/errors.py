"""The one error type every normaliser raises for a value it cannot read."""


class NormaliseError(ValueError):
    """A stated value that does not parse; the message says what was expected."""
