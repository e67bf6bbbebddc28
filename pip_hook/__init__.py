"""`pip-private`: render requirements files with their secrets, run pip, mask its output.

`cli.main` is the console script; each verb imports only what it needs.
"""
