"""`keyring_backend.records.record` behaves like `dataclasses.dataclass` for what we use."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Any, Callable, Optional

import pytest

from keyring_backend import records


def make(decorate: Callable[..., Any], field: Callable[..., Any], frozen: bool) -> type:
    @decorate(frozen=frozen)
    class Thing:
        name: str
        token: str = field(repr=False)
        port: Optional[int] = None
        tags: list[str] = field(default_factory=list)
        seen: bool = field(default=False, compare=False)

        @property
        def label(self) -> str:
            return f"{self.name}:{self.port}"

    return Thing


KINDS = {"record": (records.record, records.field), "dataclass": (dataclasses.dataclass,
                                                                 dataclasses.field)}


@pytest.mark.parametrize("frozen", [True, False], ids=["frozen", "mutable"])
def test_record_matches_dataclass(frozen: bool) -> None:
    ours, theirs = (make(*KINDS[k], frozen) for k in ("record", "dataclass"))
    for cls in (ours, theirs):
        a = cls("pypi", "s3cret", 443)
        assert a == cls("pypi", token="s3cret", port=443, seen=True)  # compare=False
        assert a != cls("pypi", "other", 443)
        assert a.tags == [] and a.tags is not cls("x", "y").tags  # a fresh default each
        assert a.label == "pypi:443"
        assert cls("x", "y").port is None
        assert (a == "pypi") is False
        with pytest.raises(TypeError):
            cls("only-name")
        with pytest.raises(TypeError):
            cls("a", "b", 1, [], False, "extra")
        with pytest.raises(TypeError):
            cls("a", "b", nope=1)
        with pytest.raises(TypeError):
            cls("a", "b", name="twice")
        if frozen:
            with pytest.raises(TypeError, match="unhashable"):  # the list field is hashed
                hash(a)
            with pytest.raises(AttributeError):
                a.name = "changed"
            with pytest.raises(AttributeError):
                del a.name
        else:
            a.port = 8080
            assert a.port == 8080
            with pytest.raises(TypeError):
                hash(a)
    # repr: the same text apart from the qualified name; repr=False fields never shown
    shown = repr(ours("pypi", "s3cret", 443)).split("(", 1)[1]
    assert shown == repr(theirs("pypi", "s3cret", 443)).split("(", 1)[1]
    assert "s3cret" not in shown


def test_frozen_records_hash_by_value() -> None:
    from keyring_backend.urls import Location

    assert hash(Location("https", "h", 443, "/a")) == hash(Location("https", "h", 443, "/a"))
    assert len({Location("https", "h", 443, "/a"), Location("https", "h", 443, "/a")}) == 1


def test_importing_the_core_does_not_import_dataclasses_or_logging() -> None:
    """The reason records.py and logs.py exist: pip-private's start-up path stays free of
    them (keyring itself, imported by the backend in pip's process, is another matter)."""
    code = ("import sys, pip_hook.run, keyring_backend.store; "
            "print(sorted(m for m in ('dataclasses', 'inspect', 'logging') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_a_record_without_fields_is_refused() -> None:
    with pytest.raises(TypeError, match="declares no fields"):
        @records.record
        class Empty:
            pass
