"""One module per `esfbank` subcommand; each has `add_parser(subparsers)` and `run(args) -> int`."""
