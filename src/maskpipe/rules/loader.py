"""YAML loading that remembers where every key and value stood, so errors can name file:line:col."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from maskpipe.model import Problem

Path_ = tuple[str | int, ...]


@dataclass
class LocatedDocument:
    """A parsed YAML document plus the position of each node, addressed by its path of keys/indexes."""

    file: str
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_ = ()) -> str:
        """`file:line:col` of the deepest known node on `path` (1-based, as editors count)."""
        for end in range(len(path), -1, -1):
            mark = self.marks.get(tuple(path[:end]))
            if mark is not None:
                return f"{self.file}:{mark[0]}:{mark[1]}"
        return self.file


def _construct(node: yaml.Node, path: Path_, doc: LocatedDocument, problems: list[Problem]) -> Any:
    doc.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (
                yaml.safe_load(yaml.serialize(key_node))
                if not isinstance(key_node, yaml.ScalarNode)
                else key_node.value
            )
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                line = key_node.start_mark.line + 1
                col = key_node.start_mark.column + 1
                problems.append(
                    Problem(
                        f"{doc.file}:{line}:{col}",
                        f"duplicate key '{key}'.",
                        "each key may appear once; merge the two entries.",
                    )
                )
                continue
            # The key's own position: errors about a column name point at the name, not its value.
            doc.marks[(*path, key, "__key__")] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            out[key] = _construct(value_node, (*path, key), doc, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), doc, problems) for i, item in enumerate(node.value)]
    # Scalars get YAML's own typing (ints, bools, nulls) through the safe constructor.
    return yaml.safe_load(yaml.serialize(node))


def load_yaml(path: Path, display: str | None = None) -> tuple[LocatedDocument | None, list[Problem]]:
    """Parse one YAML file; syntax errors become Problems with the parser's line and column."""
    shown = display or str(path)
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [
            Problem(shown, f"cannot read file: {exc}.", "check the path, permissions and UTF-8 encoding.")
        ]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
        return None, [
            Problem(where, f"invalid YAML: {exc.problem}.", "check indentation and quoting near this line.")
        ]
    doc = LocatedDocument(shown, None)
    if node is None:
        doc.data = {}
        return doc, problems
    doc.data = _construct(node, (), doc, problems)
    return doc, problems
