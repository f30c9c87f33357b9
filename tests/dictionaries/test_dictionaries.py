"""Every shipped dictionary file is well-formed and pinned by MANIFEST.json; loading and fallback work."""

from __future__ import annotations

import json
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from maskpipe import dictionaries
from maskpipe.dictionaries import (
    KINDS,
    available_locales,
    check_lines,
    load,
    manifest_version,
    resolve_locale,
    verify_manifest,
    write_manifest,
)

PACKAGE_DIR = Path(dictionaries.__file__).parent
ALL_FILES = [(kind, locale) for kind in KINDS for locale in available_locales(kind)]

# Lower bounds agreed for the first version; masked-value variety depends on them.
MINIMUM_LINES = {
    ("first_names", "en"): 400,
    ("last_names", "en"): 400,
    ("streets", "en"): 150,
    ("cities", "en"): 200,
    ("email_domains", "all"): 12,
    **{(kind, loc): 150 for kind in ("first_names", "last_names") for loc in ("nl", "de", "fr")},
    **{("cities", loc): 80 for loc in ("nl", "de", "fr")},
}


@pytest.fixture
def package_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A writable copy of the dictionaries folder that the module reads instead of the real one."""
    copy = tmp_path / "dictionaries"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(dictionaries, "_root", lambda: copy)
    dictionaries._locales.cache_clear()
    dictionaries._read.cache_clear()
    yield copy
    dictionaries._locales.cache_clear()
    dictionaries._read.cache_clear()


def test_kinds_match_the_folders_on_disk() -> None:
    folders = {p.name for p in PACKAGE_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert folders == set(KINDS)


@pytest.mark.parametrize(("kind", "locale"), ALL_FILES, ids=[f"{k}/{loc}" for k, loc in ALL_FILES])
def test_file_is_well_formed(kind: str, locale: str) -> None:
    data = (PACKAGE_DIR / kind / f"{locale}.txt").read_bytes()
    text = data.decode("utf-8")
    assert check_lines(text) == []
    values = load(kind, locale)
    assert len(values) == data.count(b"\n")
    assert len(set(values)) == len(values)
    assert all(v and v == v.strip() and unicodedata.normalize("NFC", v) == v for v in values)


@pytest.mark.parametrize(("kind", "locale", "minimum"), [(*key, n) for key, n in MINIMUM_LINES.items()])
def test_file_has_minimum_lines(kind: str, locale: str, minimum: int) -> None:
    assert resolve_locale(kind, locale) == locale
    assert len(load(kind, locale)) >= minimum


def test_email_domains_are_reserved_example_domains_only() -> None:
    reserved = ("example.com", "example.net", "example.org")
    for domain in load("email_domains", "all"):
        assert domain in reserved or domain.endswith(tuple("." + r for r in reserved)), domain
        assert domain == domain.lower()


def test_verify_manifest_shipped_files_no_problems() -> None:
    # Fails when a dictionary was edited without `uv run python -m maskpipe.dictionaries`.
    assert verify_manifest() == []


def test_manifest_lists_exactly_the_shipped_files() -> None:
    manifest = json.loads((PACKAGE_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    assert isinstance(manifest["version"], int)
    assert manifest["version"] == manifest_version() >= 1
    assert sorted(manifest["files"]) == sorted(f"{k}/{loc}.txt" for k, loc in ALL_FILES)


def test_verify_manifest_edited_file_reports_hash_and_lines(package_copy: Path) -> None:
    with (package_copy / "cities" / "en.txt").open("a", encoding="utf-8") as f:
        f.write("Zzyzx Flats\n")
    problems = verify_manifest()
    assert any(p.startswith("cities/en.txt: lines is") for p in problems)
    assert any(p.startswith("cities/en.txt: xxh3_64 is") for p in problems)
    assert all("Zzyzx" not in p for p in problems)


def test_verify_manifest_same_line_count_edit_reports_hash(package_copy: Path) -> None:
    path = package_copy / "street_suffixes" / "en.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Alley\n", "Allee\n"), encoding="utf-8")
    problems = verify_manifest()
    assert len(problems) == 1
    assert problems[0].startswith("street_suffixes/en.txt: xxh3_64 is ")
    assert problems[0].endswith("run `uv run python -m maskpipe.dictionaries`.")


def test_verify_manifest_missing_and_unlisted_files_reported(package_copy: Path) -> None:
    (package_copy / "cities" / "fr.txt").unlink()
    (package_copy / "cities" / "es.txt").write_text("Alcalá\n", encoding="utf-8")
    problems = verify_manifest()
    assert "cities/fr.txt: listed in MANIFEST.json but missing" in problems
    assert "cities/es.txt: not listed in MANIFEST.json" in problems


def test_write_manifest_content_change_bumps_version(package_copy: Path) -> None:
    before = json.loads((package_copy / "MANIFEST.json").read_text(encoding="utf-8"))
    write_manifest(package_copy)
    unchanged = json.loads((package_copy / "MANIFEST.json").read_text(encoding="utf-8"))
    assert unchanged == before

    path = package_copy / "cities" / "en.txt"
    path.write_text(path.read_text(encoding="utf-8") + "Zzyzx Flats\n", encoding="utf-8")
    write_manifest(package_copy)
    after = json.loads((package_copy / "MANIFEST.json").read_text(encoding="utf-8"))
    assert after["version"] == before["version"] + 1
    assert after["files"]["cities/en.txt"]["lines"] == before["files"]["cities/en.txt"]["lines"] + 1
    assert verify_manifest() == []


def test_write_manifest_malformed_file_refused(package_copy: Path) -> None:
    manifest_before = (package_copy / "MANIFEST.json").read_bytes()
    (package_copy / "cities" / "en.txt").write_text("Oakdale\n\nAshford\nAshford \n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"cities/en.txt: line 2: blank line") as excinfo:
        write_manifest(package_copy)
    assert "cities/en.txt: line 3: not sorted" in str(excinfo.value)
    assert "cities/en.txt: line 4: leading or trailing whitespace" in str(excinfo.value)
    assert (package_copy / "MANIFEST.json").read_bytes() == manifest_before


def test_load_malformed_file_raises_value_error(package_copy: Path) -> None:
    (package_copy / "cities" / "en.txt").write_text("Ashford\nAshford\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"cities/en.txt is malformed: line 2: duplicate of line 1"):
        load("cities", "en")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "file is empty"),
        ("Ada\nBob", "last line does not end with a newline"),
        ("Ada\n\nBob\n", "line 2: blank line"),
        ("Ada\r\nBob\n", "line 1: carriage return (save the file with LF line endings)"),
        (" Ada\n", "line 1: leading or trailing whitespace"),
        ("Ada\nAda\n", "line 2: duplicate of line 1"),
        ("Bob\nAda\n", "line 2: not sorted (sort by code point, e.g. `sort` with LC_ALL=C)"),
        ("Zoe\u0308\n", "line 1: not NFC-normalized"),
    ],
)
def test_check_lines_bad_text_reports_problem(text: str, problem: str) -> None:
    assert problem in check_lines(text)


def test_check_lines_valid_text_no_problems() -> None:
    assert check_lines("Ada\nBob\nZoë\n") == []


def test_load_missing_locale_falls_back_to_language_then_en() -> None:
    assert resolve_locale("cities", "nl_BE") == "nl"
    assert resolve_locale("cities", "de-AT") == "de"
    assert load("cities", "nl_BE") == load("cities", "nl")
    assert resolve_locale("street_suffixes", "de") == "en"
    assert load("street_suffixes", "de") == load("street_suffixes", "en")
    assert load("first_names", "xx") == load("first_names", "en")


def test_load_locale_free_kind_returns_all_for_any_locale() -> None:
    assert resolve_locale("email_domains", "nl") == "all"
    assert load("email_domains", "nl") == load("email_domains", "en") == load("email_domains", "all")


def test_load_is_cached_and_immutable() -> None:
    first = load("last_names", "de")
    assert load("last_names", "de") is first
    assert isinstance(first, tuple)


def test_load_unknown_kind_raises_key_error_naming_known_kinds() -> None:
    with pytest.raises(
        KeyError, match=r"unknown dictionary kind 'surnames'\. Known kinds: calling_codes, cities, "
    ):
        load("surnames", "en")
    with pytest.raises(KeyError, match="unknown dictionary kind"):
        available_locales("surnames")


def test_locale_cannot_escape_the_package() -> None:
    assert resolve_locale("cities", "../../../etc/passwd") == "en"


def test_available_locales_returns_a_fresh_list() -> None:
    locales = available_locales("first_names")
    assert locales == ["de", "en", "fr", "nl"]
    locales.append("xx")
    assert available_locales("first_names") == ["de", "en", "fr", "nl"]
