"""Pick one secret out of a packed value: `#FIELD` of a JSON object, `[N]` of a `;` list.

One CI variable often carries several tokens (VIKTOR_APP_SECRET=`tok1;tok2`, or a JSON
object). Errors name the reference and the shape that was expected, never the value.
"""

from __future__ import annotations

from .errors import UnresolvedReference
from .references import Reference


def select(value: str, ref: Reference, where: str) -> str:
    """Apply the reference's `#FIELD` or `[N]` selector to `value` (unchanged without one)."""
    if ref.field is not None:
        return _field(value, ref, where)
    if ref.index is not None:
        parts = value.split(";")
        if ref.index >= len(parts):
            raise UnresolvedReference(
                f"{where}: {ref.display} asks for part {ref.index} (counting from 0) "
                f"but the value has {len(parts)} ';'-separated part(s)"
            )
        return parts[ref.index]
    return value


def _field(value: str, ref: Reference, where: str) -> str:
    try:
        import json  # only for a `#field` selector

        data = json.loads(value)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise UnresolvedReference(
            f"{where}: {ref.display} selects field '{ref.field}' but the value is not a JSON "
            "object; pack several secrets as {\"name\": \"token\", ...} or use [N] with "
            "';'-separated parts"
        )
    if ref.field not in data:
        raise UnresolvedReference(
            f"{where}: {ref.display}: the JSON object has no field '{ref.field}' "
            f"(fields: {', '.join(sorted(map(str, data))) or 'none'})"
        )
    picked = data[ref.field]
    if isinstance(picked, (dict, list)) or picked is None:
        raise UnresolvedReference(f"{where}: {ref.display}: field '{ref.field}' is not text")
    return str(picked)
