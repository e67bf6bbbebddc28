"""Helpers shared by the tests and the demo scripts: real servers on 127.0.0.1."""
