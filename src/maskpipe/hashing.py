"""The only keyed cryptography in maskpipe: key handling, per-domain subkeys, value -> uniform integers.

Construction: HMAC-SHA256. The user's key is never used directly; each mapping domain gets its own
subkey = HMAC-SHA256(key, "maskpipe/v{MAPPING_VERSION}/" + domain). Values are then mapped with
HMAC-SHA256(subkey, canonical value), evaluated in Rust by polars-hash over whole columns. Its output
matches Python's `hmac` byte for byte, so golden vectors are checkable with the standard library and
do not depend on the Polars version. Whoever holds the masked copy and the rules but not the key cannot
test candidate inputs: that would need the subkey, i.e. the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import polars_hash  # noqa: F401  (registers the .chash namespace on pl.Expr)

from maskpipe.model import MaskpipeError, Problem

# Bump when any masker's output for the same key, params and value changes. Part of every subkey, so
# a version bump changes every output at once instead of some silently.
MAPPING_VERSION = 1

DEFAULT_KEY_ENV = "MASKPIPE_KEY"
MIN_KEY_CHARS = 32

LANES = 4  # a 256-bit digest gives four independent 64-bit lanes


@dataclass(frozen=True)
class MaskingKey:
    """The user's secret. repr() never shows it; only `fingerprint` may be printed or stored."""

    secret: bytes
    origin: str  # "env MASKPIPE_KEY", "file /etc/maskpipe.key", "demo key (public!)"

    def __repr__(self) -> str:
        return f"MaskingKey(origin={self.origin!r}, fingerprint={self.fingerprint})"

    @property
    def fingerprint(self) -> str:
        """Identifies the key in run reports without revealing it (a keyed hash of a fixed label)."""
        return hmac.new(self.secret, b"maskpipe/fingerprint", hashlib.sha256).hexdigest()[:16]

    def subkey(self, domain: str) -> str:
        """Hex subkey for one mapping domain; hex so it can be passed as polars-hash's str key."""
        label = f"maskpipe/v{MAPPING_VERSION}/{domain}".encode()
        return hmac.new(self.secret, label, hashlib.sha256).hexdigest()


def key_from_text(text: str, origin: str) -> MaskingKey:
    secret = text.strip()
    if len(secret) < MIN_KEY_CHARS:
        raise MaskpipeError(
            Problem(
                origin,
                f"the masking key is {len(secret)} characters long; at least {MIN_KEY_CHARS} are required.",
                "generate one with `openssl rand -hex 32`.",
            )
        )
    return MaskingKey(secret.encode("utf-8"), origin)


def load_key(key_env: str | None = None, key_file: str | Path | None = None) -> MaskingKey:
    """The key from --key-file, else from the environment. Never from rule or pipeline files."""
    if key_file is not None:
        path = Path(key_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise MaskpipeError(
                Problem(
                    "--key-file",
                    f"cannot read key file {path}: {exc.strerror}.",
                    "check the path and its permissions.",
                )
            ) from None
        return key_from_text(text, f"file {path}")
    env_name = key_env or DEFAULT_KEY_ENV
    text = os.environ.get(env_name)
    if not text:
        raise MaskpipeError(
            Problem(
                "key",
                f"no masking key: environment variable {env_name} is not set and no --key-file was given.",
                f"export {env_name}=$(openssl rand -hex 32), keep it secret and reuse it for consistent runs, "
                "or pass --key-file PATH.",
            )
        )
    return key_from_text(text, f"env {env_name}")


# ---------------------------------------------------------------------------------------------------------
# Expressions. All take and return pl.Expr and work on whole columns; nulls stay null throughout.


def hmac_hex(values: pl.Expr, subkey: str) -> pl.Expr:
    """HMAC-SHA256(subkey, utf8(value)) as 64 lower-case hex characters."""
    return values.chash.hmac_sha256(key=subkey)


def lane(digest_hex: pl.Expr, index: int) -> pl.Expr:
    """The index-th independent 64-bit unsigned integer of a hex digest (index 0..3)."""
    if not 0 <= index < LANES:
        raise ValueError(f"lane index must be in 0..{LANES - 1}")
    return digest_hex.str.slice(16 * index, 16).str.to_integer(base=16, dtype=pl.UInt64)


def pick(digest_hex: pl.Expr, index: int, n: int) -> pl.Expr:
    """A uniform index in [0, n) from one lane. The modulo bias is below n / 2**64: negligible."""
    return (lane(digest_hex, index) % n).cast(pl.Int64)


def canonical_text(values: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A stable text form of a value for hashing, so 42 (int) and "42" (text) map alike in one domain."""
    if dtype == pl.String:
        return values
    if dtype in (pl.Date, pl.Time) or isinstance(dtype, pl.Datetime):
        return values.dt.to_string("iso")
    if dtype == pl.Binary:
        return values.bin.encode("hex")
    return values.cast(pl.String)


def encode_alphabet(number: pl.Expr, alphabet: str, width: int) -> pl.Expr:
    """`width` symbols of `alphabet` taken from an unsigned integer, least significant first."""
    base = len(alphabet)
    table = dict(enumerate(alphabet))
    symbols = [
        ((number // (base**i)) % base).cast(pl.Int64).replace_strict(table, return_dtype=pl.String)
        for i in range(width)
    ]
    return pl.concat_str(symbols)


def digest_step(values: pl.Expr, subkey: str, name: str = "_digest") -> dict[str, pl.Expr]:
    """A step that computes the HMAC once into column `name`; later steps read `pl.col(name)`.

    Polars does not merge repeated plugin expressions (polars-hash is a plugin), so a digest used in
    several places of one expression is recomputed each time; a step computes it exactly once.
    """
    return {name: hmac_hex(values, subkey)}
