"""`pip-private`: render requirements files with their secrets, run pip, mask its output.

Empty until the pip-private issue lands; it registers no console script yet.
"""
