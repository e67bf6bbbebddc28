"""Rendering trees of requirements files: includes resolved as pip resolves them, cycles
refused, untouched files left alone, line numbers kept -- and pip's real parser reading
the rendered memory files through their /dev/fd paths."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from pip._internal.network.session import PipSession
from pip._internal.req import req_file

from keyring_backend.config.locations import LocationTrust
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
    """Files here may use every reference (test_trust_command.py tests the gate)."""
    trusting = LocationTrust({"PRIVATE_PACKAGES_TRUST": "1"})
    return Renderer(env, Settings(), sink_files.add, root, trusting)


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
    with RenderedFiles() as sink, pytest.raises(
            ConfigError, match=r"r.txt:2: requirements file gone.txt does not exist"):
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
        assert r.pip_expandable == [("r.txt:1", "LITERAL", False)]


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


@pytest.mark.parametrize("depth", [400, 2000])
def test_deep_includes_render_without_a_recursion_limit(tmp_path: Path, depth: int) -> None:
    """pip reads 400 nested files; plain recursion here stopped near 330 (RecursionError)."""
    for n in range(depth):
        write(tmp_path, {f"r{n}.txt": f"-r r{n + 1}.txt\n"})
    write(tmp_path, {f"r{depth}.txt": "pkg==${V}\n"})
    with RenderedFiles() as files:
        r = renderer(tmp_path, {"V": "1.0"}, files)
        top = r.include("r0.txt")
        assert len(r.files) == depth + 1 and len(r.read) == depth + 1
        if depth == 400:
            assert pip_parse(top) == ["pkg==1.0"]


def test_a_deep_cycle_is_named_without_a_traceback(tmp_path: Path) -> None:
    for n in range(500):
        write(tmp_path, {f"r{n}.txt": f"-r r{(n + 1) % 500}.txt\n"})
    with RenderedFiles() as sink, pytest.raises(ConfigError, match=r"r499.txt:1: .*cycle"):
        renderer(tmp_path, {}, sink).include("r0.txt")


@pytest.mark.parametrize("line", [
    "-r ${file:secret-name}\n",
    "-r /no/such/${TOKEN}.txt\n",
    "--requirement=/no/such/${TOKEN}/r.txt --no-deps\n",
], ids=["file-reference", "env-in-path", "equals-form"])
@pytest.mark.parametrize("spaced", [False, True], ids=["word", "with-space"])
def test_a_path_built_from_a_secret_is_never_shown(tmp_path: Path, line: str,
                                                   spaced: bool) -> None:
    secret = make_canary("path") if spaced else f"path-{uuid.uuid4().hex}"
    write(tmp_path, {"r.txt": "pkg\n" + line, "secret-name": f"/no/such/{secret}.txt"})
    with RenderedFiles() as sink, pytest.raises(ConfigError) as info:
        renderer(tmp_path, {"TOKEN": secret}, sink).include("r.txt")
    message = str(info.value)
    written = line.split(maxsplit=1)[0].partition("=")[2] or line.split()[1]
    assert message == f"r.txt:2: requirements file {written} does not exist"
    assert secret not in message


def test_an_include_that_cannot_be_matched_is_named_by_its_place(tmp_path: Path) -> None:
    """A value with a space before the include splits the line otherwise than written."""
    secret = "a b"
    write(tmp_path, {"r.txt": "--trusted-host ${HOST} -r /no/${HOST}.txt\n"})
    with RenderedFiles() as sink, pytest.raises(ConfigError) as info:
        renderer(tmp_path, {"HOST": secret}, sink).include("r.txt")
    assert str(info.value) == "r.txt:1: requirements file <named on r.txt:1> does not exist"


def test_a_file_reached_through_a_secret_path_is_named_as_written(tmp_path: Path) -> None:
    secret = f"dir-{uuid.uuid4().hex}"
    (tmp_path / secret).mkdir()
    write(tmp_path, {"r.txt": "-r ${DIR}/inner.txt\n",
                     f"{secret}/inner.txt": "x==${V}\n-r ../r.txt\n"})
    env = {"DIR": str(tmp_path / secret), "V": "1"}
    with RenderedFiles(use_memfd=False) as files, pytest.raises(ConfigError) as info:
        renderer(tmp_path, env, files).include("r.txt")
    # the cycle's chain and the line's place name the include as written
    assert str(info.value) == ("${DIR}/inner.txt:2: requirements files include each other in "
                               "a cycle: r.txt -> ${DIR}/inner.txt -> r.txt")
    write(tmp_path, {f"{secret}/inner.txt": "x==${V}\n"})
    with RenderedFiles(use_memfd=False) as files:
        r = renderer(tmp_path, env, files)
        r.include("r.txt")
        assert [f.display for f in r.files] == ["${DIR}/inner.txt", "r.txt"]
        assert directory_names(files) and not any(secret in n for n in directory_names(files))


def directory_names(files: RenderedFiles) -> list[str]:
    assert files.directory is not None
    return os.listdir(files.directory)


def test_every_file_pip_reads_is_listed_in_pips_order(tmp_path: Path) -> None:
    write(tmp_path, {"r.txt": "-r a.txt\n-r b.txt\n-r https://h.example/remote.txt\n",
                     "a.txt": "plain\n", "b.txt": "-c c.txt\n", "c.txt": "x==${V}\n"})
    with RenderedFiles() as files:
        r = renderer(tmp_path, {"V": "1"}, files)
        r.include("r.txt")
    assert [(f.display, f.included_from, f.rendered is not None, f.remote) for f in r.read] == [
        ("r.txt", None, True, False), ("a.txt", "r.txt:1", False, False),
        ("b.txt", "r.txt:2", True, False), ("c.txt", "b.txt:1", True, False),
        ("https://h.example/remote.txt", "r.txt:3", False, True)]
