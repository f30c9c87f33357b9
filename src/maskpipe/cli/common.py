"""What several verbs share: pipeline files, source/dest resolution, key loading, terminal output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click
from pydantic import BaseModel, ConfigDict, ValidationError

from maskpipe.hashing import MaskingKey, key_from_text, load_key
from maskpipe.model import MaskpipeError, Problem
from maskpipe.rules.loader import load_yaml
from maskpipe.rules.model import load_rules

DEMO_SOURCE = "demo://"


class PipelineFile(BaseModel):
    """pipelines/*.yaml: where data comes from and goes, which rules, and where the key comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str | None = None
    dest: str | None = None
    rules: str | None = None
    key_env: str | None = None
    key_file: str | None = None
    # Only the shipped demo pipeline sets this: it uses the published demo key, which protects nothing.
    demo_key: bool = False
    validate_after: bool = False


@dataclass
class Resolved:
    rules_dir: Path
    source: str
    dest: str
    key: MaskingKey | None
    validate_after: bool = False


def load_pipeline(path: Path) -> PipelineFile:
    doc, problems = load_yaml(path)
    if problems or doc is None:
        raise MaskpipeError(problems)
    try:
        pipeline = PipelineFile.model_validate(doc.data or {})
    except ValidationError as exc:
        raise MaskpipeError(
            [
                Problem(
                    doc.where(tuple(e["loc"])),
                    f"{'.'.join(map(str, e['loc']))}: {e['msg']}.",
                    f"allowed keys: {', '.join(PipelineFile.model_fields)}.",
                )
                for e in exc.errors()
            ]
        ) from None
    return pipeline


def _relative_to(base: Path, value: str) -> str:
    """Paths in a pipeline file are relative to that file; URIs are left alone."""
    if "://" in value:
        return value
    return str((base / value).resolve()) if not Path(value).is_absolute() else value


def resolve(
    rules_dir: str | None,
    source: str | None,
    dest: str | None,
    pipeline_path: str | None,
    key_env: str | None,
    key_file: str | None,
    need_dest: bool = True,
    need_key: bool = True,
) -> Resolved:
    """Flags win over the pipeline file, which wins over rules/_defaults.yaml."""
    pipeline = PipelineFile()
    base = Path.cwd()
    if pipeline_path:
        pipeline = load_pipeline(Path(pipeline_path))
        base = Path(pipeline_path).resolve().parent
    rules = (
        Path(rules_dir)
        if rules_dir
        else Path(_relative_to(base, pipeline.rules))
        if pipeline.rules
        else Path("rules")
    )
    ruleset_defaults = load_rules(rules).defaults if rules.is_dir() else None
    problems = []
    src = (
        source
        or (pipeline.source and _relative_to(base, pipeline.source))
        or (
            ruleset_defaults
            and ruleset_defaults.source
            and _relative_to(rules.resolve(), ruleset_defaults.source)
        )
    )
    dst = (
        dest
        or (pipeline.dest and _relative_to(base, pipeline.dest))
        or (
            ruleset_defaults
            and ruleset_defaults.dest
            and _relative_to(rules.resolve(), ruleset_defaults.dest)
        )
    )
    if not src:
        problems.append(
            Problem(
                "--source",
                "no source given.",
                "pass --source URI, or set source: in the pipeline file or rules/_defaults.yaml.",
            )
        )
    if need_dest and not dst:
        problems.append(
            Problem(
                "--dest",
                "no destination given.",
                "pass --dest URI, or set dest: in the pipeline file or rules/_defaults.yaml.",
            )
        )
    if problems:
        raise MaskpipeError(problems)
    if src == DEMO_SOURCE:
        from maskpipe.demo import SNAPSHOT_DIR

        src = str(SNAPSHOT_DIR)
    key: MaskingKey | None = None
    if not need_key:
        pass
    elif key_env or key_file or not pipeline.demo_key:
        key = load_key(
            key_env or pipeline.key_env,
            key_file or (pipeline.key_file and _relative_to(base, pipeline.key_file)),
        )
    else:
        from maskpipe.demo import DEMO_KEY_HEX

        key = key_from_text(DEMO_KEY_HEX, "demo key (PUBLIC - protects nothing)")
        warn(
            "using the PUBLISHED DEMO KEY: anyone can reproduce this masking. Never use it on real data; set MASKPIPE_KEY or --key-file."
        )
    return Resolved(rules, str(src), str(dst or ""), key, pipeline.validate_after)


def is_tty() -> bool:
    return sys.stderr.isatty()


def warn(text: str) -> None:
    click.secho(f"WARNING: {text}", fg="yellow", err=True, bold=True)


def write_json(path: str, payload: object) -> None:
    Path(path).write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
