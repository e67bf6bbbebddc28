"""One module per `poetry source` command: cleo wiring only; the work is in plain classes."""
