"""`run_nested`: recursion written as generators, as deep as the data goes, with the
semantics of a recursive call -- results flow back up, exceptions reach the caller."""

from __future__ import annotations

import sys

import pytest

from pip_hook.nested import Steps, run_nested


def depth(n: int) -> Steps[int]:
    if n == 0:
        return 0
    below: int = yield depth(n - 1)
    return below + 1


def test_far_deeper_than_the_recursion_limit() -> None:
    assert run_nested(depth(sys.getrecursionlimit() * 50)) == sys.getrecursionlimit() * 50


def failing(n: int, catch_at: int) -> Steps[str]:
    if n == 0:
        raise ValueError("at the bottom")
    try:
        found: str = yield failing(n - 1, catch_at)
        return found
    except ValueError:
        if n == catch_at:
            return f"caught at {n}"
        raise


def test_an_exception_reaches_each_includer_in_turn() -> None:
    assert run_nested(failing(10, catch_at=4)) == "caught at 4"
    with pytest.raises(ValueError, match="at the bottom"):
        run_nested(failing(3000, catch_at=-1))


def test_a_step_that_yields_nothing_returns_at_once() -> None:
    def leaf() -> Steps[str]:
        return "leaf"
        yield  # a generator all the same

    assert run_nested(leaf()) == "leaf"
