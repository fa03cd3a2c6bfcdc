"""esfbank: the command line that wires crawler, parsers and load together."""
