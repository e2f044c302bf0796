"""``python -m midstream``: the same as the ``midstream`` command."""

from __future__ import annotations

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
