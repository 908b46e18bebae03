"""One module per `pmiek` subcommand; each has `register(subparsers)` that sets `func`."""
