"""`Masker` and `secret_forms` (DESIGN.md "pip-private": every resolved secret, and its
percent-encoded and base64 forms, becomes `****` across chunk boundaries): needles split
at every boundary, overlapping and nested needles, replacements, pass-through, progress
lines, and the spellings of secrets with URL-special and non-ASCII characters."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterable, Iterator, Mapping
from typing import Optional
from urllib.parse import quote, quote_plus

import pytest

from pip_hook.masking import MASK, MIN_FORM_LENGTH, Masker, secret_forms
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts, forms

SECRET = b"glpat-Zx9Qw7Lk2"


def pieces(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    """`data` cut at `cuts` (sorted offsets)."""
    edges = [0, *cuts, len(data)]
    for start, end in zip(edges, edges[1:]):
        yield data[start:end]


def run(masker: Masker, chunks: Iterable[bytes]) -> tuple[bytes, list[bytes]]:
    """Feed `chunks`; return the whole output and what each feed emitted."""
    emitted = [masker.feed(chunk) for chunk in chunks]
    return b"".join(emitted) + masker.flush(), emitted


def chunkings(data: bytes) -> dict[str, list[list[int]]]:
    """Named sets of cut lists: every single cut, one byte per feed, seeded random cuts."""
    rng = random.Random(len(data))  # noqa: S311 -- reproducible chunkings, not secrets
    every = [[cut] for cut in range(1, len(data))]
    one_byte = [list(range(1, len(data)))]
    shuffled = [sorted(rng.sample(range(1, len(data)), min(k, len(data) - 1)))
                for k in (2, 3, 5, 8) * 5]
    return {"single cut": every, "one byte per feed": one_byte, "random": shuffled}


@pytest.mark.parametrize(
    ("needles", "replacements", "text", "expected"),
    [
        ([SECRET], {}, b"url https://u:" + SECRET + b"@host/simple\n",
         b"url https://u:****@host/simple\n"),
        ([SECRET], {}, SECRET + SECRET + b"\n" + SECRET, b"********\n****"),
        ([b"abcd", b"abcdef"], {}, b"x abcdef abcdX abcde", b"x **** ****X ****e"),
        ([b"cdef", b"abcd"], {}, b"[abcdef] [abcd] [cdef]", b"[****] [****] [****]"),
        ([b"bcde", b"abcdefgh"], {}, b"-abcdefgh-abcde-", b"-****-a****-"),
        ([b"aaaa"], {}, b"aaaaaaaaa", b"****"),
        ([SECRET], {b"/dev/fd/5": b"requirements.txt"},
         b"ERROR: (from -r /dev/fd/5 (line 3)) " + SECRET + b"\n",
         b"ERROR: (from -r requirements.txt (line 3)) ****\n"),
        ([b"/dev/fd/5"], {b"/dev/fd/5": b"requirements.txt"}, b"a /dev/fd/5 b", b"a **** b"),
        ([], {b"/dev/fd/5": b"requirements.txt"}, b"/dev/fd/5 /dev/fd/55",
         b"requirements.txt requirements.txt5"),
        ([SECRET], {}, b"\r 10% [##      ]\r 50% [#####   ]\r100% [########]\n",
         b"\r 10% [##      ]\r 50% [#####   ]\r100% [########]\n"),
        ([b"\xc3\xa9t\xc3\xa9!"], {}, b"caf\xc3\xa9 \xc3\xa9t\xc3\xa9!\n", b"caf\xc3\xa9 ****\n"),
        ([b"", SECRET], {b"": b"x"}, b"a" + SECRET, b"a****"),
    ],
    ids=["url", "back to back", "prefix of another", "overlap merged", "nested and overlap",
         "self overlap", "replacement", "needle wins over replacement", "only replacements",
         "progress bar", "non-ascii", "empty needle ignored"],
)
def test_masks_the_same_however_the_stream_is_cut(
    needles: list[bytes], replacements: Mapping[bytes, bytes], text: bytes, expected: bytes
) -> None:
    assert run(Masker(needles, replacements), [text])[0] == expected
    for name, cut_lists in chunkings(text).items():
        for cuts in cut_lists:
            output, _ = run(Masker(needles, replacements), pieces(text, cuts))
            assert output == expected, f"{name} {cuts}"


def test_holds_back_only_a_tail_that_could_still_become_a_needle() -> None:
    masker = Masker([b"secret-token", b"secret-word"])
    assert masker.feed(b"line one\nnext: secr") == b"line one\nnext: "
    assert masker.feed(b"et-t") == b""
    assert masker.feed(b"oke") == b""
    assert masker.feed(b"x") == b"secret-tokex"
    assert masker.feed(b" see secret-t") == b" see "
    assert masker.feed(b"oken\r") == MASK + b"\r"
    assert masker.flush() == b""


def test_progress_lines_flow_without_delay() -> None:
    masker = Masker(secret_forms("tok-1234567890@example"))
    frames = [f"\r {n:3}% |{'#' * (n // 10):10}| 1.{n} MB".encode() for n in range(0, 101, 5)]
    assert [masker.feed(frame) for frame in frames] == frames


def test_no_needles_is_a_pass_through() -> None:
    masker = Masker([])
    chunk = b"anything \r\n\x1b[31m at all"
    assert masker.feed(chunk) is chunk
    assert masker.flush() == b""


def test_flush_emits_a_held_prefix_and_resets() -> None:
    masker = Masker([SECRET])
    assert masker.feed(b"tail glpat-Zx") == b"tail "
    assert masker.flush() == b"glpat-Zx"
    assert masker.feed(SECRET) == MASK
    assert masker.flush() == b""


CANARIES = {
    "url specials": "tok@:/#%?&+=",
    "space": "my secret token",
    "non-ascii": "clé-sécrète-Ωmega",
    "canary": make_canary(ascii_only=False),
    "short": "abc",
}


@pytest.mark.parametrize("secret", CANARIES.values(), ids=CANARIES.keys())
@pytest.mark.parametrize("username", [None, "deploy-bot"], ids=["no user", "user"])
def test_forms_cover_every_spelling(secret: str, username: Optional[str]) -> None:
    got = secret_forms(secret, username)
    raw = secret.encode()
    expected = {raw, quote(secret, safe="").encode(), quote(secret).encode(),
                quote_plus(secret).encode(), base64.b64encode(raw),
                base64.urlsafe_b64encode(raw)}
    if username is not None:
        expected.add(base64.b64encode(f"{username}:{secret}".encode()))
    assert set(got) == {form for form in expected if len(form) >= MIN_FORM_LENGTH}
    assert got == sorted(set(got), key=lambda form: (-len(form), form))
    assert {form.encode() for form in forms(secret, username)} >= set(got)


@pytest.mark.parametrize("secret", [s for s in CANARIES.values() if len(s) >= MIN_FORM_LENGTH],
                         ids=[k for k, s in CANARIES.items() if len(s) >= MIN_FORM_LENGTH])
@pytest.mark.parametrize("username", [None, "deploy-bot"], ids=["no user", "user"])
def test_every_form_is_masked_one_byte_at_a_time(secret: str, username: Optional[str]) -> None:
    spellings = forms(secret, username)
    text = "".join(f"form {n}: {form}\n" for n, form in enumerate(spellings)).encode()
    masker = Masker(secret_forms(secret, username))
    shown = run(masker, [bytes([byte]) for byte in text])[0].decode()
    assert shown == "".join(f"form {n}: ****\n" for n in range(len(spellings)))
    assert_not_in_texts(secret, {"masked output": shown}, username)


def test_forms_of_a_short_secret_leave_out_the_short_spellings() -> None:
    assert secret_forms("ab") == [b"YWI="]
    assert secret_forms("") == []
    assert Masker(secret_forms("ab")).feed(b"ab cab YWI= 1.0") == b"ab cab **** 1.0"


def test_basic_header_form_is_masked() -> None:
    secret = "s3cr3t:with@colon"
    header = b"Authorization: Basic " + base64.b64encode(f"ci-bot:{secret}".encode())
    masker = Masker(secret_forms(secret, "ci-bot"))
    assert masker.feed(header + b"\n") == b"Authorization: Basic ****\n"
