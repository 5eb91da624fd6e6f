"""Strict parsing of JSON request bodies: UTF-8 only, no duplicate keys, no NaN, bounded nesting.

A body that breaks any of these is a 400 naming the reason, never a 500 and never a silent
"last key wins".
"""

from __future__ import annotations

import json
from typing import Any

from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ecrf.errors import BadRequest

MAX_DEPTH = 32


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise BadRequest(f"the JSON body repeats the key {key!r}", errors={"body": [f"duplicate key {key!r}"]})
        seen[key] = value
    return seen


def _no_constant(name: str):
    raise BadRequest(f"the JSON body contains {name}, which is not a number", errors={"body": [f"{name} not allowed"]})


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
    return value


class StrictParser(FlaskParser):
    """webargs' Flask parser with strict JSON bodies; unknown query parameters left to the schema (RAISE)."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        return loads_strict(req.get_data(cache=True))
