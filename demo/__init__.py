"""The README demo: `./dev demo` (runs `python -m demo`)."""
