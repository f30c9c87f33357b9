"""The masker registry: every masker module listed once; a duplicate name fails at import."""

from __future__ import annotations

import importlib

from maskpipe.maskers.base import Masker

# One module per masker. Adding a masker: its module here, a test file, a golden-vector file.
_MODULES = (
    "keep",
    "null",
    "constant",
    "redact",
    "hash",
    "email",
    "first_name",
    "last_name",
    "full_name",
    "street_address",
    "city",
    "date_shift",
    "dob",
    "numeric_noise",
    "partial",
    "regex_replace",
    "free_text",
    "json",
    "phone",
    "card",
    "ssn",
    "iban",
    "postal_code",
    "uuid",
    "ip",
)


def _build() -> dict[str, Masker]:
    registry: dict[str, Masker] = {}
    for module_name in _MODULES:
        module = importlib.import_module(f"maskpipe.maskers.{module_name}")
        masker: Masker = module.MASKER
        if masker.name in registry:
            raise ImportError(f"duplicate masker name '{masker.name}' in maskpipe.maskers.{module_name}")
        registry[masker.name] = masker
    return registry


REGISTRY: dict[str, Masker] = _build()


def get(name: str) -> Masker | None:
    return REGISTRY.get(name)
