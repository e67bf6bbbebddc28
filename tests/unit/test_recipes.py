"""The YAML subset reader of tests/recipes.py: it reads the recipes as PyYAML does, and
refuses, naming the line, what lies outside the subset rather than misreading it."""

from __future__ import annotations

import pytest

from tests.recipes import GITLAB_CI, WORKFLOW, github_jobs, gitlab_jobs, load_yaml


def test_yaml_reader_matches_pyyaml() -> None:
    yaml = pytest.importorskip("yaml")
    gitlab = GITLAB_CI.read_text()
    assert gitlab_jobs(load_yaml(gitlab)) == gitlab_jobs(yaml.safe_load(gitlab))
    workflow = WORKFLOW.read_text()
    assert github_jobs(load_yaml(workflow)) == github_jobs(yaml.safe_load(workflow))


@pytest.mark.parametrize("text", ["a: [1, 2]\n", "a: {b: 1}\n", "a: &x 1\n", "a: >\n  b\n",
                                  "a: 1\n a: 2\n", "a: 1\na: 2\n"])
def test_yaml_reader_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match=r"^line \d+: "):
        load_yaml(text)
