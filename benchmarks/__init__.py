"""midstream's benchmarks (not part of the installed package).

Reusable pieces for every ``bench_*.py``: :mod:`benchmarks.cases` (workload
generators), :mod:`benchmarks.chunking` (token and real-stream chunk
boundaries) and :mod:`benchmarks.peers` (other libraries, driven the way a
streaming user drives them). See ``benchmarks/README.md``.
"""

from __future__ import annotations


def midstream_build() -> str:
    """Which midstream a report measured: its version, its build and where it lies."""
    import midstream

    build = "compiled core (mypyc)" if midstream.COMPILED else "pure Python"
    return f"midstream {midstream.__version__}, {build}, from {midstream.__file__}"
