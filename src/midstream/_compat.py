"""What the compiled build needs from mypy_extensions, without depending on it at run time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["mypyc_attr"]

if TYPE_CHECKING:  # mypyc recognises the decorator by this name
    from mypy_extensions import mypyc_attr
else:
    try:
        from mypy_extensions import mypyc_attr
    except ImportError:  # not installed: the decorator only instructs mypyc

        def mypyc_attr(*attrs: str, **kwattrs: Any) -> Any:
            return lambda cls: cls
