"""`python -m maskpipe.dictionaries`: regenerate MANIFEST.json after editing a dictionary file."""

from __future__ import annotations

import sys

from maskpipe.dictionaries import write_manifest


def main() -> int:
    try:
        path = write_manifest()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
