"""Poetry application plugin of private-packages (the `poetry source` credential commands).

Empty until the Poetry plugin issue lands; it registers no entry point yet.
"""
