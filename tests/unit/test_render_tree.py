"""Rendering trees of requirements files: includes resolved as pip resolves them, cycles
refused, untouched files left alone, line numbers kept -- and pip's real parser reading
the rendered memory files through their /dev/fd paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pip._internal.network.session import PipSession
from pip._internal.req import req_file

from keyring_backend.errors import ConfigError, UnresolvedReference
from keyring_backend.settings import Settings
from pip_hook.memfiles import RenderedFiles, memfd_supported
from pip_hook.render import Renderer
from tests.conftest import make_canary
from tests.leaks import assert_not_in_files


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def renderer(root: Path, env: dict[str, str], sink_files: RenderedFiles) -> Renderer:
    return Renderer(env, Settings(), sink_files.add, root)


def pip_parse(path: str) -> list[str]:
    return [str(r.requirement) for r in req_file.parse_requirements(path, session=PipSession())]


@pytest.mark.parametrize("use_memfd", [True, False], ids=["memfd", "directory"])
def test_nested_includes_render_and_pip_reads_them(tmp_path: Path, use_memfd: bool) -> None:
    if use_memfd and not memfd_supported():
        pytest.skip("no memfd_create on this platform")
    secret = make_canary()
    write(tmp_path, {
        "requirements.txt": "# top\n-r sub/base.txt\n-c constraints.txt\nplain-pkg\n",
        "sub/base.txt": "acme @ git+https://bot:${TOKEN}@git.example/acme.git\n-r ../plain.txt\n",
        "plain.txt": "untouched==1.0\n",
        "constraints.txt": "untouched<2\n",
    })
    with RenderedFiles(use_memfd=use_memfd) as files:
        r = renderer(tmp_path, {"TOKEN": secret}, files)
        top = r.include("requirements.txt")
        assert [f.display for f in r.files] == ["sub/base.txt", "requirements.txt"]
        assert top in files.paths and files.paths[top] == "requirements.txt"
        assert r.values[0] == secret and r.env_names == {"TOKEN"}
        assert [(c.url, c.username, c.password) for c in r.git_credentials] == [
            ("https://git.example/acme.git", "bot", secret)]
        parsed = pip_parse(top)
        # The git credential left the URL for git's credential helper (run.py wires it).
        assert parsed[0] == "acme @ git+https://git.example/acme.git" and parsed[1:] == [
            "untouched==1.0", "untouched<2", "plain-pkg"]
        if not use_memfd:
            directory = files.directory
            assert directory is not None and oct(os.stat(directory).st_mode & 0o777) == "0o700"
            modes = {oct(p.stat().st_mode & 0o777) for p in Path(directory).iterdir()}
            assert modes == {"0o600"}
    if not use_memfd:
        assert not Path(directory).exists()
    assert files.fds == []
    assert_not_in_files(secret, [tmp_path])


def test_file_without_references_is_not_rendered(tmp_path: Path) -> None:
    write(tmp_path, {"r.txt": "-r other.txt\npkg\n", "other.txt": "dep\n"})
    with RenderedFiles() as files:
        r = renderer(tmp_path, {}, files)
        assert r.include("r.txt") == str(tmp_path / "r.txt")
        assert r.files == [] and files.paths == {}


def test_line_numbers_are_kept(tmp_path: Path) -> None:
    write(tmp_path, {"r.txt": "# c\n\nfirst \\\n  ==1\npkg==${V}\n"})
    with RenderedFiles() as files:
        r = renderer(tmp_path, {"V": "2.0"}, files)
        path = r.include("r.txt")
        lines = [(line.comes_from.rsplit("(", 1)[1], str(line.requirement)) for line in
                 req_file.parse_requirements(path, session=PipSession())]
    assert lines == [("line 3)", "first   ==1"), ("line 5)", "pkg==2.0")]


def test_relative_find_links_follow_the_original_file(tmp_path: Path) -> None:
    (tmp_path / "sub/wheels").mkdir(parents=True)
    write(tmp_path, {"sub/r.txt": "-f wheels\npkg==${V}\n"})
    with RenderedFiles() as files:
        r = renderer(tmp_path, {"V": "1"}, files)
        r.include("sub/r.txt")
        assert r.files[0].text.splitlines()[0] == f"--find-links {tmp_path / 'sub/wheels'}"


def test_diamond_is_rendered_once(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "-r b.txt\n-r c.txt\n", "b.txt": "-r d.txt\n",
                     "c.txt": "-r d.txt\n", "d.txt": "x==${V}\n"})
    with RenderedFiles() as files:
        r = renderer(tmp_path, {"V": "1"}, files)
        pip_parse(r.include("a.txt"))
        assert sorted(f.display for f in r.files) == ["a.txt", "b.txt", "c.txt", "d.txt"]


@pytest.mark.parametrize("files", [
    {"a.txt": "-r a.txt\n"},
    {"a.txt": "-r b.txt\n", "b.txt": "--requirement=sub/../a.txt\n"},
    {"a.txt": "-c b.txt\n", "b.txt": "-rc.txt\n", "c.txt": "-r a.txt\n"},
], ids=["self", "two", "three-mixed-forms"])
def test_cycles_are_errors(tmp_path: Path, files: dict[str, str]) -> None:
    write(tmp_path, files)
    (tmp_path / "sub").mkdir(exist_ok=True)
    with RenderedFiles() as sink, pytest.raises(ConfigError, match=r"cycle: a\.txt"):
        renderer(tmp_path, {}, sink).include("a.txt")


def test_missing_include_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, {"r.txt": "pkg\n-r gone.txt\n"})
    with RenderedFiles() as sink, pytest.raises(ConfigError,
                                                match=r"r.txt:2: cannot read .*gone.txt"):
        renderer(tmp_path, {}, sink).include("r.txt")


def test_unset_variable_in_nested_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, {"r.txt": "-r sub/n.txt\n", "sub/n.txt": "\n\npkg==${MISSING_VAR}\n"})
    with RenderedFiles() as sink, pytest.raises(UnresolvedReference) as info:
        renderer(tmp_path, {}, sink).include("r.txt")
    assert "sub/n.txt:3" in str(info.value) and "MISSING_VAR" in str(info.value)


def test_cmd_references_are_refused_in_files_but_allowed_on_the_command_line(
        tmp_path: Path) -> None:
    write(tmp_path, {"r.txt": "pkg==${cmd:version}\n"})
    with RenderedFiles() as sink:
        r = renderer(tmp_path, {}, sink)
        with pytest.raises(UnresolvedReference, match="never from a project's files"):
            r.include("r.txt")
        with pytest.raises(UnresolvedReference) as info:
            r.render_value("pkg==${cmd:version}", "command line argument 1")
        assert "never from" not in str(info.value)  # allowed; fails only as undefined


def test_pip_expandable_names_are_reported(tmp_path: Path) -> None:
    write(tmp_path, {"r.txt": "pkg==$${LITERAL}\n"})
    with RenderedFiles() as sink:
        r = renderer(tmp_path, {}, sink)
        r.include("r.txt")
        assert r.pip_expandable == [("r.txt:1", "LITERAL")]


def test_reprs_hold_no_values(tmp_path: Path) -> None:
    secret = make_canary()
    write(tmp_path, {"r.txt": "pkg @ https://u:${TOKEN}@h.example/p.whl\n"})
    with RenderedFiles() as files:
        r = renderer(tmp_path, {"TOKEN": secret}, files)
        r.include("r.txt")
        from keyring_backend.providers import ResolveContext
        from pip_hook.reqfile import render_line

        line = render_line("x @ https://u:${TOKEN}@h.example/", ResolveContext(r.env, "a:1"))
        shown = {"renderer": repr(r), "files": repr(r.files), "line": repr(line)}
    from tests.leaks import assert_not_in_texts

    assert_not_in_texts(secret, shown)
