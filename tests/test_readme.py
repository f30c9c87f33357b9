"""The README's masker table is generated from the registry; this fails when they drift apart."""

from __future__ import annotations

import re
from pathlib import Path

from maskpipe.cli.maskers_cmd import markdown_table

README = Path(__file__).parent.parent / "README.md"


def test_readme_masker_table_matches_registry() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- maskers:begin -->\n(.*?)<!-- maskers:end -->", text, re.S)
    assert match, "README.md lost its maskers:begin/end markers"
    assert match.group(1).strip() == markdown_table().strip(), (
        "README masker table is stale: run `uv run python -m tests.test_readme` to regenerate it"
    )


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in first_block.splitlines() if line and not line.startswith("#")]
    assert commands == ["uv run maskpipe run --pipeline pipelines/demo.yaml", "uv run pytest"]
    assert (
        Path(__file__)
        .parent.parent.joinpath(".ci/run")
        .read_text(encoding="utf-8")
        .rstrip()
        .endswith("uv run pytest")
    )


def regenerate() -> None:
    text = README.read_text(encoding="utf-8")
    new = re.sub(
        r"<!-- maskers:begin -->\n.*?<!-- maskers:end -->",
        lambda _: f"<!-- maskers:begin -->\n{markdown_table()}\n<!-- maskers:end -->",
        text,
        flags=re.S,
    )
    README.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    regenerate()
