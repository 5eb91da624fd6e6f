"""Reading definition files: strict YAML, JSON Schema validation, canonical content hash."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator


@dataclass(frozen=True)
class Problem:
    """One reason a definition is refused: which file, where in it, and why."""

    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '(document)'}: {self.reason}"


class DefinitionError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class DefinitionFile:
    source: str
    kind: str
    oid: str
    version: int
    content: dict
    content_hash: str


class _StrictLoader(yaml.SafeLoader):
    """YAML without surprises: no yes/no/on/off booleans, no implicit dates, no duplicate keys."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def canonical_json(content: Any) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(content: Any) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


@lru_cache(maxsize=None)
def _validator(kind: str) -> Draft202012Validator:
    text = resources.files("ecrf.definitions").joinpath(f"schemas/{kind}.schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def _json_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def schema_problems(source: str, kind: str, content: Any) -> list[Problem]:
    errors = sorted(_validator(kind).iter_errors(content), key=lambda e: list(map(str, e.absolute_path)))
    return [Problem(source, _json_path(e.absolute_path), e.message) for e in errors]


def parse_definition(source: str, text: str) -> DefinitionFile:
    """Parse and schema-check one definition document; raise DefinitionError naming the problem."""
    try:
        content = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError([Problem(source, where, f"not valid YAML: {reason}")]) from exc
    return check_document(source, content)


def check_document(source: str, content: Any) -> DefinitionFile:
    if not isinstance(content, dict):
        raise DefinitionError([Problem(source, "", "a definition must be a mapping with 'kind: form' or 'kind: study'")])
    kind = content.get("kind")
    if kind not in ("form", "study"):
        raise DefinitionError([Problem(source, "kind", f"must be 'form' or 'study', got {kind!r}")])
    problems = schema_problems(source, kind, content)
    if problems:
        raise DefinitionError(problems)
    return DefinitionFile(source=source, kind=kind, oid=content["oid"], version=content["version"],
                          content=content, content_hash=content_hash(content))


def read_directory(root: Path) -> list[DefinitionFile]:
    """Every ``*.yaml`` below ``root``; all problems of all files are reported together."""
    files, problems = [], []
    for path in sorted(root.rglob("*.yaml")):
        source = path.relative_to(root.parent).as_posix() if root.parent in path.parents else path.name
        try:
            files.append(parse_definition(source, path.read_text("utf-8")))
        except DefinitionError as exc:
            problems.extend(exc.problems)
        except UnicodeDecodeError:
            problems.append(Problem(source, "", "not UTF-8 text"))
    if problems:
        raise DefinitionError(problems)
    return files
