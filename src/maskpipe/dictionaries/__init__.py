"""Versioned word lists (names, streets, cities, email domains) that maskers pick from by index.

Layout: ``<kind>/<locale>.txt``, UTF-8, one value per line, every line ending in ``\\n``, sorted by code
point, no duplicates, no blank lines, no surrounding whitespace, NFC-normalized. Because a masker turns a
keyed hash into an index, changing any file changes masked outputs: ``MANIFEST.json`` pins each file's
line count and xxh3_64 hash, and its ``version`` goes up whenever a file's content does.
Regenerate it after an edit with ``uv run python -m maskpipe.dictionaries``.

Locale fallback, in order: the locale as given (``"nl_BE"``), its language (``"nl"``), ``"en"``, and
``"all"`` (the file of kinds that do not depend on the locale, such as ``email_domains``).
"""

from __future__ import annotations

import functools
import json
import unicodedata
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import xxhash

__all__ = [
    "KINDS",
    "available_locales",
    "check_lines",
    "load",
    "manifest_version",
    "resolve_locale",
    "verify_manifest",
    "write_manifest",
]

MANIFEST_NAME = "MANIFEST.json"
FALLBACK_LOCALE = "en"
# Kinds whose values do not depend on the locale ship a single `all.txt`.
LOCALE_FREE = "all"

KINDS: tuple[str, ...] = (
    "calling_codes",
    "cities",
    "email_domains",
    "first_names",
    "last_names",
    "street_suffixes",
    "streets",
)


def _root() -> Traversable:
    return files(__name__)


def _file(kind: str, locale: str) -> Traversable:
    return _root() / kind / f"{locale}.txt"


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise KeyError(f"unknown dictionary kind {kind!r}. Known kinds: {', '.join(KINDS)}")


def available_locales(kind: str) -> list[str]:
    """Locales shipped for ``kind``, sorted (e.g. ``['de', 'en', 'fr', 'nl']``).

    Raises KeyError for an unknown kind.
    """
    _check_kind(kind)
    return list(_locales(kind))


@functools.lru_cache(maxsize=64)
def _locales(kind: str) -> tuple[str, ...]:
    names = (entry.name for entry in (_root() / kind).iterdir())
    return tuple(sorted(name.removesuffix(".txt") for name in names if name.endswith(".txt")))


def resolve_locale(kind: str, locale: str) -> str:
    """The locale whose file ``load(kind, locale)`` reads, after the fallback described in the module doc.

    >>> resolve_locale("street_suffixes", "nl_NL")
    'en'
    """
    shipped = available_locales(kind)
    language = locale.replace("-", "_").split("_", 1)[0]
    for candidate in (locale, language, FALLBACK_LOCALE, LOCALE_FREE):
        if candidate in shipped:
            return candidate
    raise KeyError(f"dictionary kind {kind!r} has neither {locale!r} nor a fallback file; shipped: {shipped}")


def check_lines(text: str) -> list[str]:
    """Format problems of one dictionary file's text, as ``line N: what``. Empty when the file is valid.

    Messages never quote a value: they name the line, so they are safe to print in any log.
    """
    problems: list[str] = []
    if not text:
        return ["file is empty"]
    if not text.endswith("\n"):
        problems.append("last line does not end with a newline")
    lines = text.removesuffix("\n").split("\n")
    seen: dict[str, int] = {}
    previous: str | None = None
    for number, line in enumerate(lines, start=1):
        if line == "":
            problems.append(f"line {number}: blank line")
            continue
        if "\r" in line:
            problems.append(f"line {number}: carriage return (save the file with LF line endings)")
        if line != line.strip():
            problems.append(f"line {number}: leading or trailing whitespace")
        if unicodedata.normalize("NFC", line) != line:
            # Two spellings of the same visible name would hash and index differently.
            problems.append(f"line {number}: not NFC-normalized")
        if line in seen:
            problems.append(f"line {number}: duplicate of line {seen[line]}")
        else:
            seen[line] = number
        if previous is not None and line < previous:
            # Sorted files keep diffs reviewable and make duplicates sit next to each other.
            problems.append(f"line {number}: not sorted (sort by code point, e.g. `sort` with LC_ALL=C)")
        previous = line
    return problems


def load(kind: str, locale: str) -> tuple[str, ...]:
    """The values of dictionary ``kind`` for ``locale``, in file order; maskers pick by index into it.

    Falls back to the language, then to ``"en"``, then to ``"all"`` when the locale has no file, so
    ``load("street_suffixes", "nl")`` returns the English suffixes. Use ``resolve_locale`` to see which
    file was read. Raises KeyError for an unknown kind and ValueError for a malformed file.

    >>> load("email_domains", "fr")[:2]
    ('customers.example.com', 'example.com')
    """
    _check_kind(kind)
    return _read(kind, resolve_locale(kind, locale))


# Keyed by the resolved file, so "nl", "nl_NL" and "nl-BE" share one tuple.
@functools.lru_cache(maxsize=128)
def _read(kind: str, resolved: str) -> tuple[str, ...]:
    relative = f"{kind}/{resolved}.txt"
    text = _file(kind, resolved).read_bytes().decode("utf-8")
    problems = check_lines(text)
    if problems:
        raise ValueError(
            f"dictionary {relative} is malformed: {'; '.join(problems)}. "
            "Hint: fix the file, then run `uv run python -m maskpipe.dictionaries`."
        )
    return tuple(text.removesuffix("\n").split("\n"))


def _all_files() -> list[str]:
    """Relative paths of every shipped dictionary file, sorted."""
    return [f"{kind}/{locale}.txt" for kind in KINDS for locale in available_locales(kind)]


def _entry(data: bytes) -> dict[str, object]:
    return {"lines": data.count(b"\n"), "xxh3_64": xxhash.xxh3_64_hexdigest(data)}


def _read_manifest(root: Traversable) -> dict[str, object]:
    manifest = root / MANIFEST_NAME
    if not manifest.is_file():
        return {}
    loaded: dict[str, object] = json.loads(manifest.read_text(encoding="utf-8"))
    return loaded


def manifest_version() -> int:
    """The dictionary set's version from MANIFEST.json; record it beside masked outputs."""
    version = _read_manifest(_root()).get("version")
    if not isinstance(version, int):
        raise ValueError(
            f"{MANIFEST_NAME} has no integer 'version'. Hint: run `uv run python -m maskpipe.dictionaries`."
        )
    return version


def verify_manifest() -> list[str]:
    """Differences between the shipped files and MANIFEST.json; empty when they agree.

    Reports files that are missing, not listed, or whose line count or xxh3_64 hash differs.
    """
    root = _root()
    manifest = _read_manifest(root)
    if not manifest:
        return [f"{MANIFEST_NAME} is missing"]
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        return [f"{MANIFEST_NAME} has no 'files' object"]
    problems: list[str] = []
    for relative, expected in sorted(listed.items()):
        kind, _, name = relative.partition("/")
        path = root / kind / name
        if not path.is_file():
            problems.append(f"{relative}: listed in {MANIFEST_NAME} but missing")
            continue
        actual = _entry(path.read_bytes())
        recorded = expected if isinstance(expected, dict) else {}
        for field in ("lines", "xxh3_64"):
            if actual[field] != recorded.get(field):
                problems.append(
                    f"{relative}: {field} is {actual[field]}, {MANIFEST_NAME} says {recorded.get(field)}. "
                    "Hint: if the edit is intended, run `uv run python -m maskpipe.dictionaries`."
                )
    for relative in _all_files():
        if relative not in listed:
            problems.append(f"{relative}: not listed in {MANIFEST_NAME}")
    return problems


def write_manifest(root: Path | None = None) -> Path:
    """Rewrite MANIFEST.json from the files under ``root`` (default: this package's source folder).

    The version goes up by one whenever the file set or any file's content differs from the previous
    manifest, so a dictionary edit is never a silent change of masked outputs. Refuses (ValueError) to
    record a malformed file.
    """
    folder = root if root is not None else Path(__file__).parent
    problems: list[str] = []
    entries: dict[str, dict[str, object]] = {}
    for kind_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        for path in sorted(kind_dir.glob("*.txt")):
            relative = f"{kind_dir.name}/{path.name}"
            data = path.read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append(f"{relative}: not UTF-8 (byte {exc.start})")
                continue
            problems.extend(f"{relative}: {problem}" for problem in check_lines(text))
            entries[relative] = _entry(data)
    if problems:
        raise ValueError("cannot write the manifest:\n" + "\n".join(problems))
    manifest_path = folder / MANIFEST_NAME
    previous: dict[str, object] = {}
    if manifest_path.is_file():
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
    old_version = previous.get("version")
    if not isinstance(old_version, int):
        version = 1
    elif previous.get("files") != entries:
        version = old_version + 1
    else:
        version = old_version
    manifest = {"version": version, "files": entries}
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _locales.cache_clear()
    _read.cache_clear()
    return manifest_path
