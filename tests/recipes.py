"""The recipes in examples/: their commands, read out of the recipe files, run with bash
(`-eo pipefail`, as both CIs do) by `Runner`, so tests/e2e/test_examples.py tests what a
recipe says, not a copy of it. A recipe key the readers do not know fails the test.

- GitLab CI: every job's `script:` lines in `stages:` order (`gitlab_jobs`); not
  `before_script:`, which only installs the tools the test's venvs already have.
- GitHub Actions: every `run:` step with the job's and the step's `env:` (`github_jobs`);
  not `uses:` steps (the test provides what they give: the checkout, Python,
  `steps.ID.outputs.*`), nor steps named "Set up ..." (tool installs). `${{ ... }}` comes
  from a table of simulated contexts (`expand`); an unknown one fails the test.
- Dockerfile: its instructions, continuations joined (`dockerfile_instructions`).
- The here-document a recipe's comments feed to a command, such as a Vault policy
  (`heredoc_in_comments`).
YAML is read by `load_yaml`, which knows just the subset the recipes use (no PyYAML needed;
tests/unit/test_recipes.py checks it against PyYAML). `localize` is the documented
substitution: `https://[userinfo@]HOST` -> `http://[userinfo@]127.0.0.1:PORT` of HOST's
local stand-in; credentials go over plain http only because that host is loopback (DESIGN.md).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.prefix_mount import GitLabPackages
from tests.leaks import assert_not_in_files, assert_not_in_texts

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
GITLAB_CI = EXAMPLES / "gitlab-ci/.gitlab-ci.yml"
WORKFLOW = EXAMPLES / "github-actions/workflow.yml"
PROJECT_ID = "4242"  # the GitLab project the simulated jobs run in
GITLAB_KEYS = {"stage", "image", "rules", "before_script", "script"}
GITHUB_JOB_KEYS = {"if", "runs-on", "permissions", "env", "steps"}
GITHUB_STEP_KEYS = {"name", "id", "uses", "with", "env", "run"}


# --- the YAML subset the recipes are written in (no PyYAML needed) ------------------------

_KEY = re.compile(r"[\w.-]+:(?: |$)")


def load_yaml(text: str) -> Any:
    """Block mappings and sequences, plain and quoted scalars (all strings), `|` blocks and
    comments. Anything else raises ValueError, so a recipe stays within what is read here
    (tests/unit/test_recipes.py checks this reader against PyYAML)."""
    lines = text.splitlines()
    start = _skip(lines, 0)
    value, end = _block(lines, start, _indent(lines[start]))
    if end < len(lines):
        raise ValueError(f"line {end + 1}: unexpected indentation")
    return value


def _skip(lines: list[str], i: int) -> int:
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
        i += 1
    return i


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_item(line: str) -> bool:
    return line.strip() == "-" or line.strip().startswith("- ")


def _block(lines: list[str], i: int, indent: int) -> tuple[Any, int]:
    return (_sequence if _is_item(lines[i]) else _mapping)(lines, i, indent)


def _sequence(lines: list[str], i: int, indent: int) -> tuple[list[Any], int]:
    out: list[Any] = []
    while i < len(lines) and _indent(lines[i]) == indent and _is_item(lines[i]):
        text = lines[i].strip()[1:]
        if _KEY.match(text.lstrip()):  # `- key: value` opens a mapping one level deeper
            lines[i] = " " * (indent + 1 + _indent(text)) + text.lstrip()
            value, i = _mapping(lines, i, _indent(lines[i]))
        else:
            value, i = _scalar(text.strip(), i), _skip(lines, i + 1)
        out.append(value)
    return out, i


def _mapping(lines: list[str], i: int, indent: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    while i < len(lines) and _indent(lines[i]) == indent and not _is_item(lines[i]):
        if not _KEY.match(lines[i].strip()):
            raise ValueError(f"line {i + 1}: expected `key: value`")
        key, _, rest = lines[i].strip().partition(":")
        if key in out:
            raise ValueError(f"line {i + 1}: duplicate key {key!r}")
        if rest.strip().split(" #")[0] in ("|", "|-"):
            out[key], i = _literal(lines, i + 1, indent, rest.strip().startswith("|-"))
            continue
        nxt = _skip(lines, i + 1)
        nested = nxt < len(lines) and (_indent(lines[nxt]) > indent or (
            _indent(lines[nxt]) == indent and _is_item(lines[nxt])))
        if _scalar(rest.strip(), i) is None and nested:
            out[key], i = _block(lines, nxt, _indent(lines[nxt]))
        else:
            out[key], i = _scalar(rest.strip(), i), nxt
    return out, i


def _literal(lines: list[str], i: int, indent: int, chomp: bool) -> tuple[str, int]:
    block = []
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
        block.append(lines[i])
        i += 1
    while block and not block[-1].strip():
        block.pop()
    inner = min((_indent(line) for line in block if line.strip()), default=0)
    text = "\n".join(line[inner:] for line in block)
    return text + ("" if chomp or not text else "\n"), _skip(lines, i)


def _scalar(text: str, i: int) -> Any:
    if text[:1] in ("'", '"'):
        end = text.find(text[0], 1)
        while text[0] == "'" and text[end + 1:end + 2] == "'":
            end = text.find("'", end + 2)
        rest = text[end + 1:].strip()
        if end < 0 or (rest and not rest.startswith("#")):
            raise ValueError(f"line {i + 1}: unsupported quoted scalar")
        inner = text[1:end]
        return inner.replace("''", "'") if text[0] == "'" else json.loads(text[:end + 1])
    value = re.split(r"(?:^| )#", text, maxsplit=1)[0].strip()
    if value[:1] in ("[", "{", "&", "*", "!", ">", "|", "%", "@", "`"):
        raise ValueError(f"line {i + 1}: {value[:1]!r} is outside the YAML subset")
    return value or None


# --- reading the recipes -------------------------------------------------------------------

def gitlab_jobs(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Job name -> its `script:` lines, in stage order."""
    stages = [str(s) for s in data.get("stages", [])]
    jobs = {name: job for name, job in data.items()
            if not str(name).startswith(".") and isinstance(job, dict) and "script" in job}
    for name, job in jobs.items():
        unknown = set(job) - GITLAB_KEYS
        assert not unknown, f"{name}: the test does not simulate {unknown}"
    ordered = sorted(jobs, key=lambda name: stages.index(str(jobs[name].get("stage", "test"))))
    return {str(name): [str(line) for line in jobs[name]["script"]] for name in ordered}


@dataclass(frozen=True)
class Step:
    name: str
    env: dict[str, str]
    run: str


def github_jobs(data: Mapping[str, Any]) -> dict[str, tuple[dict[str, Any], list[Step]]]:
    """Job name -> (the job's env and permissions, the steps the test runs)."""
    out = {}
    for name, job in data["jobs"].items():
        assert set(job) <= GITHUB_JOB_KEYS, f"{name}: unknown {set(job) - GITHUB_JOB_KEYS}"
        steps = []
        for step in job["steps"]:
            assert set(step) <= GITHUB_STEP_KEYS, f"{name}: unknown {set(step) - GITHUB_STEP_KEYS}"
            if "uses" in step or str(step.get("name", "")).startswith("Set up"):
                continue
            steps.append(Step(str(step.get("name", "")),
                              {str(k): str(v) for k, v in (step.get("env") or {}).items()},
                              str(step["run"])))
        settings = {"env": {str(k): str(v) for k, v in (job.get("env") or {}).items()},
                    "permissions": {str(k): str(v) for k, v in job["permissions"].items()}}
        out[str(name)] = (settings, steps)
    return out


def expand(text: str, contexts: Mapping[str, str]) -> str:
    """GitHub's `${{ name }}` expressions; KeyError for one the test does not simulate."""
    return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: contexts[m.group(1)], text)


def heredoc_in_comments(text: str, command: str) -> str:
    """The here-document a commented `COMMAND - <<'EOF'` line feeds, comment marks removed."""
    lines = [line.split("#", 1)[1].strip() for line in text.splitlines()
             if line.lstrip().startswith("#")]
    start = lines.index(f"{command} - <<'EOF'") + 1
    return "\n".join(lines[start:lines.index("EOF", start)])


def localize(text: str, hosts: Mapping[str, str]) -> str:
    """The documented substitution: https://[userinfo@]HOST -> the local base URL."""
    for host, base in hosts.items():
        scheme, netloc = base.split("://", 1)

        def local(found: re.Match[str], scheme: str = scheme, netloc: str = netloc) -> str:
            return f"{scheme}://{found.group(1)}{netloc}"

        # userinfo: no `/` or `@`, except inside a `${...}` reference
        text = re.sub(rf"https://((?:(?:[^/@\s$]|\$\{{[^}}]*\}})*@)?){re.escape(host)}(?![\w.-])",
                      local, text)
    return text


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with `\\` continuations joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in joined.splitlines() if line.strip()]


# --- running them, with what a CI runner sets -----------------------------------------------

@dataclass
class Runner:
    """Runs recipe commands with the test's tools first on PATH; keeps every output and
    records every child git's argv."""

    env: dict[str, str]
    root: Path
    argv_log: Path
    outputs: dict[str, str] = field(default_factory=dict)

    def checkout(self, recipe: str, hosts: Mapping[str, str], name: str = "checkout",
                 paths: Mapping[str, str] | None = None) -> Path:
        """A copy of `examples/RECIPE`, as a CI checkout would have it, substituted."""
        dest = self.root / name
        shutil.copytree(EXAMPLES / recipe, dest)
        for path in dest.rglob("*"):
            if path.is_file():
                text = localize(path.read_text(), hosts)
                for old, new in (paths or {}).items():
                    text = text.replace(old, new)
                path.write_text(text)
        return dest

    def sh(self, label: str, script: str, cwd: Path,
           env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                 script], cwd=cwd, env={**self.env, **(env or {})},
                                capture_output=True, text=True, timeout=300, check=False,
                                stdin=subprocess.DEVNULL)
        self.outputs[f"{label} stdout"], self.outputs[f"{label} stderr"] = (result.stdout,
                                                                            result.stderr)
        return result

    def assert_clean(self, secrets: Mapping[str, str | None], *roots: Path) -> None:
        """No secret in any output, child argv or file under `roots` (`secrets` maps each
        to the username it travels with in HTTP Basic auth, if any)."""
        texts = {**self.outputs, "git argv": self.argv_log.read_text()
                 if self.argv_log.exists() else ""}
        for secret, username in secrets.items():
            assert_not_in_texts(secret, texts, username=username)
            assert assert_not_in_files(secret, roots, username=username) > 0


def ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"exit {result.returncode}:\n{result.stdout}\n{result.stderr}"


def gitlab_job_env(gitlab: GitLabPackages, token: str) -> dict[str, str]:
    """What a GitLab runner sets in a job of project PROJECT_ID on this server."""
    port = gitlab.url.rsplit(":", 1)[1]
    return {"CI": "true", "GITLAB_CI": "true", "CI_JOB_TOKEN": token,
            "CI_SERVER_URL": gitlab.url, "CI_SERVER_HOST": "127.0.0.1", "CI_SERVER_PORT": port,
            "CI_SERVER_PROTOCOL": "http", "CI_API_V4_URL": gitlab.api_url,
            "CI_PROJECT_ID": PROJECT_ID, "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main"}


def github_job_env(server_url: str) -> dict[str, str]:
    return {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": server_url,
            "GITHUB_REPOSITORY": "acme/app", "GITHUB_REF": "refs/heads/main"}


def run_github_job(runner: Runner, job: str, hosts: Mapping[str, str],
                   contexts: Mapping[str, str], env: Mapping[str, str],
                   id_token_env: Mapping[str, str] | None = None,
                   ) -> subprocess.CompletedProcess[str]:
    """Run one workflow job's steps in a fresh checkout; the id-token variables are only
    given when the job asks for `id-token: write`, as on GitHub."""
    settings, steps = github_jobs(load_yaml(WORKFLOW.read_text()))[job]
    workspace = runner.checkout("github-actions", hosts, f"{job}-workspace")
    job_env = {**env, **{k: localize(expand(v, contexts), hosts)
                         for k, v in settings["env"].items()}}
    if settings["permissions"].get("id-token") == "write":
        job_env.update(id_token_env or {})
    assert steps, f"{job} has no step to run"
    result = None
    for step in steps:
        step_env = {k: localize(expand(v, contexts), hosts) for k, v in step.env.items()}
        result = runner.sh(f"{job}: {step.name}", localize(expand(step.run, contexts), hosts),
                           workspace, {**job_env, "GITHUB_WORKSPACE": str(workspace),
                                       **step_env})
        if result.returncode != 0:
            break
    assert result is not None
    return result
