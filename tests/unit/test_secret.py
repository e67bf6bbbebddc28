"""`Secret` redacts itself everywhere except through the deliberately named `reveal()`."""

from __future__ import annotations

import copy
import logging
import pickle
import uuid
from typing import Callable

import pytest

from keyring_backend.secret import MASK, Secret

VALUE = f"s3cr@t:/#%? ü-{uuid.uuid4()}"


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        (repr, "Secret('****')"),
        (str, MASK),
        (format, MASK),
        (lambda s: f"{s}", MASK),
        (lambda s: f"{s!s}", MASK),
        (lambda s: f"{s!r}", "Secret('****')"),
        (lambda s: f"{s:>40}", MASK),
        ("{}".format, MASK),
        (lambda s: "%s" % s, MASK),  # noqa: UP031 -- %-formatting is the point
        (lambda s: "%r" % (s,), "Secret('****')"),  # noqa: UP031
        (lambda s: repr([s, {"k": s}]), "[Secret('****'), {'k': Secret('****')}]"),
    ],
)
def test_every_way_of_showing_a_secret_shows_the_mask(
    show: Callable[[Secret], str], expected: str
) -> None:
    text = show(Secret(VALUE))
    assert text == expected
    assert VALUE not in text


def test_reveal_returns_the_value() -> None:
    assert Secret(VALUE).reveal() == VALUE


def test_log_records_show_the_mask(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="test_secret")
    logging.getLogger("test_secret").debug("token %s / %r", Secret(VALUE), Secret(VALUE))
    assert caplog.messages == ["token **** / Secret('****')"]


def test_equality_compares_values() -> None:
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret(VALUE + "x")
    assert Secret(VALUE) != VALUE  # never equal to the bare string: compare like with like


def test_hash_follows_equality() -> None:
    assert hash(Secret(VALUE)) == hash(Secret(VALUE))
    assert len({Secret(VALUE), Secret(VALUE), Secret("other")}) == 2
    assert hash(Secret(VALUE)) != hash(VALUE)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickling_is_refused(protocol: int) -> None:
    with pytest.raises(TypeError, match="cannot be pickled") as info:
        pickle.dumps(Secret(VALUE), protocol=protocol)
    assert VALUE not in str(info.value)


def test_copying_is_refused_too() -> None:
    # copy goes through __reduce_ex__ as pickle does; a copy would be harmless, but this
    # pins down that no serialisation path hands the value out.
    with pytest.raises(TypeError):
        copy.deepcopy(Secret(VALUE))


@pytest.mark.parametrize(("value", "truth"), [("", False), ("x", True), (VALUE, True)],
                         ids=["empty", "short", "canary"])  # a random id breaks xdist
def test_bool_is_whether_there_is_a_value(value: str, truth: bool) -> None:
    assert bool(Secret(value)) is truth


def test_no_instance_dict_to_dump() -> None:
    with pytest.raises(TypeError):
        vars(Secret(VALUE))
