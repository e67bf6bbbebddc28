"""Follow `-r` includes as deep as a project nests them, without Python's recursion limit.

Rendering, doctor and scan walk a tree of requirements files. Written as plain recursion,
each level of `-r` costs three Python frames, so about 330 nested files raised
`RecursionError` (a traceback) where pip itself reads 600. Here each file is a generator
that *yields* the generator of an included file instead of calling it, and receives that
file's result back; `run_nested` keeps the chain on a list, so the depth is bounded only
by the number of files.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Optional, TypeVar

T = TypeVar("T")

#: A walk step: yields the steps of included files, receives their results, returns its own.
Steps = Generator["Steps[Any]", Any, T]


def run_nested(first: Steps[T]) -> T:
    """Drive `first` and every generator it yields, depth first; return `first`'s result.
    An exception from an included file's steps is raised in its includer at its `yield`,
    as it would be at the call of a recursive function."""
    chain: list[Steps[Any]] = [first]
    value: Any = None
    error: Optional[BaseException] = None
    while True:
        try:
            if error is None:
                child = chain[-1].send(value)
            else:
                pending, error = error, None
                child = chain[-1].throw(pending)
        except StopIteration as done:
            chain.pop()
            if not chain:
                result: T = done.value
                return result
            value = done.value
            continue
        except BaseException as exc:
            chain.pop()
            if not chain:
                raise
            error = exc
            continue
        chain.append(child)
        value = None
