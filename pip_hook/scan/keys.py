"""Credentials stored under a key rather than in a URL: `.pypirc` passwords, `.netrc`
passwords, Dockerfile `ARG`/`ENV` values, and `[tool.private-packages]` rules whose
password is a literal instead of a `${...}` reference.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any, Optional

from .formats import Hit, is_vcs, url_hits
from .proposals import ADD_RULE, rule_toml, token_variable, url_proposal
from .rules import UrlCredential, is_secret_value, is_token_like, split_url

# ------------------------------------------------------------------------- .pypirc

_INI_SECTION = re.compile(r"\s*\[([^\]]+)\]\s*$")
_INI_KEY = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*[=:]\s*(.*?)\s*$")
# twine's defaults for the two sections it knows without a `repository` key
_PYPIRC_DEFAULTS = {"pypi": "https://upload.pypi.org/legacy/",
                    "testpypi": "https://test.pypi.org/legacy/"}


def scan_pypirc(text: str, name: str) -> Iterator[Hit]:
    """`password =` in a repository section; `${...}` is let through (twine does not expand
    it, but it is no secret either). URLs with userinfo in `repository` too."""
    sections: dict[str, dict[str, tuple[str, int, int]]] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("#", ";")):
            continue
        header = _INI_SECTION.fullmatch(line)
        if header:
            section = header[1].strip()
            continue
        entry = _INI_KEY.fullmatch(line)
        if entry and section:
            sections.setdefault(section, {})[entry[1].lower()] = (
                entry[2], number, entry.start(2) + 1)

        def propose(cred: UrlCredential, span: tuple[int, int], line: str = line) -> str:
            return url_proposal(line, span, cred, vcs=False, offer_reference=False)

        yield from url_hits(number, line, "url-userinfo", propose)
    for section, keys in sections.items():
        password, number, column = keys.get("password", ("", 0, 0))
        if section == "distutils" or not is_secret_value(password):
            continue
        repository = keys.get("repository", (_PYPIRC_DEFAULTS.get(section, ""), 0, 0))[0]
        parts = split_url(repository) if repository else None
        host = parts.host if parts else None
        url = (parts.with_userinfo(None).rstrip("/") if parts
               else f"<repository URL of [{section}]>")
        username = keys.get("username", ("", 0, 0))[0]
        username = "__token__" if not username or is_token_like(username) else username
        variable = token_variable(host) if host else "TWINE_PASSWORD"
        yield Hit(number, column, "pypirc-password", host,
                  f"hard-coded password for repository [{section}] in {name} (****)",
                  "\n".join([
                      "delete this line (twine does not expand ${...} in .pypirc; without a "
                      "password it asks keyring, which answers from the rule below)",
                      ADD_RULE, rule_toml(url, username, f"${{{variable}}}"),
                      "or, in CI, set TWINE_PASSWORD from a secret instead"]),
                  (password,))


# --------------------------------------------------------------------------- .netrc

_NETRC_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def _netrc_tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """`(line, column, token)` the way Python's netrc lexer reads them: `#` at the start of
    a token comments out the rest of the line; a `macdef` body runs to the next blank line."""
    in_macro = False
    after_macdef = 0  # tokens still to skip after `macdef`: its name
    for number, line in enumerate(text.splitlines(), start=1):
        if in_macro:
            in_macro = bool(line.strip())
            continue
        for match in _NETRC_TOKEN.finditer(line):
            if match[2] is not None and match[2].startswith("#"):
                break
            word = match[2] if match[2] is not None else re.sub(r"\\(.)", r"\1", match[1])
            if after_macdef:
                after_macdef = 0
                in_macro = True
                break
            if word == "macdef":
                after_macdef = 1
                continue
            yield number, match.start() + 1, word


def scan_netrc(text: str, name: str) -> Iterator[Hit]:
    """Every `password` (a committed netrc is itself the leak), bound to its `machine`."""
    entries: list[dict[str, Any]] = []
    tokens = list(_netrc_tokens(text))
    for index, (_, _, word) in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else (0, 0, "")
        if word in ("machine", "default"):
            entries.append({"host": following[2] if word == "machine" else None})
        elif word in ("login", "password") and entries:
            entries[-1][word] = following[2]
            entries[-1][f"{word}_at"] = following[:2]
    for entry in entries:
        password: str = entry.get("password", "")
        if not is_secret_value(password):
            continue
        host: Optional[str] = entry["host"]
        login: str = entry.get("login", "")
        username = "__token__" if not login or is_token_like(login) else login
        url = f"https://{host}" if host else "<URL prefix>"
        variable = token_variable(host, username) if host else "INDEX_TOKEN"
        where = f"machine {host}" if host else "the default entry"
        number, column = entry["password_at"]
        yield Hit(number, column, "netrc", host,
                  f"hard-coded password for {where} in {name} (****); a committed netrc "
                  "hands it to everyone who can read the repository",
                  "\n".join([f"remove the file from the repository (git rm --cached {name}; "
                             "add it to .gitignore)",
                             ADD_RULE, rule_toml(url, username, f"${{{variable}}}")]),
                  (password,))


# --------------------------------------------------------------------- Dockerfiles

_DOCKER_ARG_ENV = re.compile(r"\s*(ARG|ENV)\s+(.*)$", re.IGNORECASE)
_DOCKER_PAIR = re.compile(r"""([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)""")
_DOCKER_LEGACY_ENV = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s+(.+?)\s*$")
_SECRET_NAME = re.compile(
    r"TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|(?:^|_)PAT(?:_|$)",
    re.IGNORECASE)
# ...unless the name says the value is about the secret, not the secret (TOKEN_FILE=/run/...)
_NOT_A_SECRET_NAME = re.compile(r"_(?:FILE|PATH|DIR|URL|URI|NAME|ID|ENV|VAR|TYPE|ENABLED)$",
                                re.IGNORECASE)
_NOT_A_SECRET_VALUE = re.compile(r"(?i)true|false|yes|no|on|off|none|null|[0-9]{1,5}|[/~.].*")


def _docker_pairs(code: str) -> Iterator[tuple[str, str, int]]:
    """`(name, value, value offset)` of an `ARG`/`ENV` instruction."""
    instruction = _DOCKER_ARG_ENV.match(code)
    if instruction is None:
        return
    rest, base = instruction[2], instruction.start(2)
    words = rest.split()
    if instruction[1].upper() == "ENV" and words and "=" not in words[0]:
        legacy = _DOCKER_LEGACY_ENV.fullmatch(rest)  # `ENV NAME value`: one pair, to the end
        if legacy:
            yield legacy[1], legacy[2], base + legacy.start(2)
        return
    for pair in _DOCKER_PAIR.finditer(rest):
        yield pair[1], pair[2], base + pair.start(2)


def scan_dockerfile(text: str, name: str) -> Iterator[Hit]:
    """`ARG`/`ENV` with a secret-named, literal value (build args and ENV values stay in the
    image and its history), and credentialed URLs (`pip install --index-url ...`)."""
    del name
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        for var, raw, offset in _docker_pairs(line):
            value = raw[1:-1] if raw[:1] in "\"'" and raw[-1:] == raw[:1] else raw
            if (not _SECRET_NAME.search(var) or _NOT_A_SECRET_NAME.search(var)
                    or _NOT_A_SECRET_VALUE.fullmatch(value) or len(value) < 6
                    or not is_secret_value(value) or "://" in value):
                continue
            secret_id = var.lower()
            yield Hit(number, offset + 1, "docker-secret", None,
                      f"{line.split()[0].upper()} {var} holds a hard-coded value (****); "
                      "build args and ENV values stay in the image and its history",
                      "\n".join([
                          "drop the value and mount the secret only for the step that needs it:",
                          f"RUN --mount=type=secret,id={secret_id} pip install ...",
                          f"built with docker build --secret id={secret_id},env={var} .; a rule "
                          f'reads it as password = "${{file:/run/secrets/{secret_id}}}"']),
                      (value,))

        def propose(cred: UrlCredential, span: tuple[int, int], line: str = line) -> str:
            return url_proposal(line, span, cred, vcs=is_vcs(cred.parts),
                                offer_reference=False, secret_file=True)

        yield from url_hits(number, line, "url-userinfo", propose)


# -------------------------------------------------- [tool.private-packages] rules

_RULE_KEY = re.compile(
    r"""(?:^|[{,\s])(password|username)\s*=\s*("(?:[^"\\\n]|\\.)*"|'[^'\n]*')""", re.MULTILINE)


def _loads(text: str) -> Optional[dict[str, Any]]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None  # the URL and token passes still read it line by line


def _locate(text: str, key: str, value: str) -> tuple[int, int]:
    """Line and column of `key = "<value>"`, the first one holding `value`."""
    for match in _RULE_KEY.finditer(text):
        decoded = _loads(f"v = {match[2]}")
        if match[1] == key and decoded is not None and decoded["v"] == value:
            line = text.count("\n", 0, match.start(2)) + 1
            return line, match.start(2) - (text.rfind("\n", 0, match.start(2)) + 1) + 1
    return 1, 1


def _dig(data: Any, *keys: str) -> Any:
    """`data[k1][k2]...`, or None where a level is missing or not a table (any TOML goes)."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _rule_host(rule: dict[str, Any], doc: dict[str, Any]) -> Optional[str]:
    url = rule.get("url")
    if not isinstance(url, str):
        sources = [*(_dig(doc, "tool", "poetry", "source") or []),
                   *(_dig(doc, "tool", "uv", "index") or [])]
        url = next((s.get("url") for s in sources if isinstance(s, dict)
                    and s.get("name") == rule.get("source")), None)
    parts = split_url(url) if isinstance(url, str) else None
    return parts.host if parts else None


def scan_pyproject_rules(text: str, name: str) -> Iterator[Hit]:
    """Rules whose password is a literal, or whose username is a token."""
    doc = _loads(text) or {}
    rules = _dig(doc, "tool", "private-packages", "credentials")
    if not isinstance(rules, list):
        return
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            continue
        host = _rule_host(rule, doc)
        where = f"[[tool.private-packages.credentials]] #{number} in {name}"
        password, username = rule.get("password"), rule.get("username")
        token_username = isinstance(username, str) and is_token_like(username)
        user = "__token__" if token_username or not isinstance(username, str) else username
        variable = token_variable(host, user) if host else "INDEX_TOKEN"
        advice = (f"and put the token in {variable} from a secret (a CI variable), or use "
                  "${file:PATH}, ${keyring:SERVICE#USER} or ${vault:PATH#FIELD}")
        if isinstance(password, str) and is_secret_value(password):
            line, column = _locate(text, "password", password)
            yield Hit(line, column, "rule-password", host,
                      f"{where} has a literal password (****) instead of a ${{...}} reference",
                      f'password = "${{{variable}}}"\n{advice}', (password,))
        if token_username and isinstance(username, str):
            line, column = _locate(text, "username", username)
            yield Hit(line, column, "rule-username", host,
                      f"{where} has a token as its username (****)",
                      f'username = "{user}"\npassword = "${{{variable}}}"\n{advice}',
                      (username,))
