"""Hand-written Swedish normalisers: strict, fast, and each raising NormaliseError on bad input."""

from parsers.normalisers.errors import NormaliseError

__all__ = ["NormaliseError"]
