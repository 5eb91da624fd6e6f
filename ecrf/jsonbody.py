"""Strict parsing of JSON request bodies: UTF-8 only, no duplicate keys, no NaN, bounded nesting,
no control characters in text.

A body that breaks any of these is a 400 naming the reason, never a 500 and never a silent
"last key wins".
"""

from __future__ import annotations

import json
import re
from typing import Any

from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ecrf.errors import BadRequest

MAX_DEPTH = 32
# What XML 1.0 cannot carry (the ODM export must hold every value) and PostgreSQL text refuses (NUL):
# C0 controls other than tab, line feed and carriage return, lone surrogates, U+FFFE and U+FFFF.
FORBIDDEN_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise BadRequest(f"the JSON body repeats the key {key!r}", errors={"body": [f"duplicate key {key!r}"]})
        seen[key] = value
    return seen


def _no_constant(name: str):
    raise BadRequest(f"the JSON body contains {name}, which is not a number", errors={"body": [f"{name} not allowed"]})


def forbidden_character(text: str) -> str | None:
    """The first character of ``text`` no stored text may hold, as U+XXXX, or None."""
    found = FORBIDDEN_CHARACTER.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


# JSON carries those characters only escaped (\b, \f, \uXXXX): a body without such an escape needs no walk
_ESCAPED_FORBIDDEN = re.compile(r"\\([bf]|u(000[0-8bcef]|001[0-9a-f]|d[89a-f][0-9a-f]{2}|fff[ef]))", re.IGNORECASE)


def _no_forbidden_text(value: Any) -> None:
    stack = [(value, "body")]
    while stack:
        current, where = stack.pop()
        texts = [(current, where)] if isinstance(current, str) else []
        if isinstance(current, dict):
            texts += [(key, f"{where}.{key}") for key in current]
            stack.extend((v, f"{where}.{k}") for k, v in current.items())
        elif isinstance(current, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(current))
        for text, path in texts:
            character = forbidden_character(text)
            if character:
                where = FORBIDDEN_CHARACTER.sub("?", path[:200])
                raise BadRequest(f"the JSON body contains the character {character} at {where}: control "
                                 "characters are not allowed in text", errors={"body": [f"{character} not allowed"]})


def _depth(value: Any, limit: int) -> None:
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            raise BadRequest(f"the JSON body is nested more than {limit} levels deep",
                             errors={"body": ["nested too deeply"]})
        if isinstance(current, dict):
            stack.extend((v, depth + 1) for v in current.values())
        elif isinstance(current, list):
            stack.extend((v, depth + 1) for v in current)


def loads_strict(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the request body is not valid UTF-8", errors={"body": ["not UTF-8"]}) from exc
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError as exc:
        raise BadRequest(f"the JSON body is nested more than {MAX_DEPTH} levels deep",
                         errors={"body": ["nested too deeply"]}) from exc
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                         errors={"body": [exc.msg]}) from exc
    _depth(value, MAX_DEPTH)
    if _ESCAPED_FORBIDDEN.search(text):
        _no_forbidden_text(value)
    return value


class StrictParser(FlaskParser):
    """webargs' Flask parser with strict JSON bodies and query strings without control characters;
    unknown query parameters left to the schema (RAISE)."""

    def load_querystring(self, req, schema):
        for name, value in req.args.items(multi=True):
            character = forbidden_character(name) or forbidden_character(value)
            if character:
                where = FORBIDDEN_CHARACTER.sub("?", name[:100])
                raise BadRequest(f"the query string contains the character {character} in {where}: control "
                                 "characters are not allowed", errors={where: [f"{character} not allowed"]})
        return super().load_querystring(req, schema)

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        return loads_strict(req.get_data(cache=True))
