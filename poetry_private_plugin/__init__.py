"""Poetry application plugin of private-packages.

`plugin.PrivatePackagesPlugin` registers the `poetry source auth|check|login|logout|bump`
commands (each imported only when run) and the hook that hands every poetry command its
sources' credentials in memory (`hook.py`).
"""
