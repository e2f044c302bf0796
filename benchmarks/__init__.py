"""midstream's benchmarks (not part of the installed package).

Reusable pieces for every ``bench_*.py``: :mod:`benchmarks.cases` (workload
generators), :mod:`benchmarks.chunking` (token and real-stream chunk
boundaries) and :mod:`benchmarks.peers` (other libraries, driven the way a
streaming user drives them). See ``benchmarks/README.md``.
"""

from __future__ import annotations
