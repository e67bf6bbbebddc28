"""The credential core of private-packages and the keyring backend pip, poetry, uv and twine use.

Importing this package must stay cheap: every pip and poetry process imports the keyring
backend. Submodules import what they need (tomllib, hvac, subprocess) inside the functions
that need it.
"""

__version__ = "0.1.0"
