#!/bin/sh
# Install a VIKTOR-style app's requirements wherever you run the install yourself: a local
# venv, a CI job, your own image. Set VIKTOR_APP_SECRET first, e.g. from your password
# manager or CI secret store; this script never prints it.
#
# On your own machine, trust the checkout once (`pip-private trust` shows what it would
# send where and asks): a project's requirements file may use ${NAME#field} only when
# trusted. A CI job (CI=true) is trusted already.
#
# VIKTOR's own publishing runs plain pip, which expands only ${NAME} in requirements files,
# not ${NAME#field}: there, keep one variable per token instead.
set -eu

# The tool (tests/e2e/test_examples.py runs this whole script; its venv has the tool).
command -v pip-private >/dev/null 2>&1 || pip install private-packages

# Every reference resolved and every index probed with its credential; no value shown.
pip-private doctor -r requirements.txt
pip-private install -r requirements.txt
