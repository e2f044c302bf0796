"""Build hook: compile the per-chunk hot paths with mypyc when building a wheel.

Every chunk of a token stream costs a few hundred Python operations in the
JSON core; compiled to C by mypyc, the same typed source runs two to three
times faster. Only the modules every chunk goes through are compiled (the
JSON core and its readers, with the lifecycle and position helpers every
parser shares, JsonStream, the tool-call assembler: every module of its
package but the ``__init__`` that re-exports them, the provider pipeline
behind ``stream_events``, and the raw-response path's SSE decoder and
reader); the rest stays Python.

- ``pip install .`` (and any wheel built from the sdist) compiles them. If
  that fails (no C compiler, say), the wheel is built pure Python and a
  message on stderr says so: slower, never different.
- ``pip install -e .`` never compiles, so that edits to the source take effect
  at once; the tests run there on the pure Python code.
- ``MIDSTREAM_PURE_PYTHON=1`` skips compiling in every build.

``midstream.COMPILED`` tells which build is installed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: The modules compiled, relative to ``src``.
COMPILED_MODULES = (
    "midstream/_lifecycle.py",
    "midstream/_position.py",
    "midstream/_json_chars.py",
    "midstream/_json_messages.py",
    "midstream/_json_utf8.py",
    "midstream/_json_base.py",
    "midstream/_json_strings.py",
    "midstream/_json_numbers.py",
    "midstream/_json_core.py",
    "midstream/_json_stream.py",
    "midstream/_sse.py",
    "midstream/_frame_events.py",
    "midstream/_eventstream.py",
    "midstream/_framing.py",
    "midstream/_pipeline.py",
    "midstream/_templates.py",
    "midstream/_raw.py",
)
#: Packages whose every module is compiled but the ``__init__`` (which only
#: re-exports): a wire format's new reader module is compiled without an entry here.
COMPILED_PACKAGES = ("midstream/_tool_calls",)


def compiled_modules(src: Path) -> list[str]:
    """The modules to compile, relative to ``src``."""
    modules = list(COMPILED_MODULES)
    for package in COMPILED_PACKAGES:
        for path in sorted((src / package).glob("*.py")):
            if path.name != "__init__.py":
                modules.append(path.relative_to(src).as_posix())
    return modules


class MypycBuildHook(BuildHookInterface):
    """Adds the compiled modules to a standard (non-editable) wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version != "standard":
            return
        if os.environ.get("MIDSTREAM_PURE_PYTHON", "") not in ("", "0"):
            return
        self._workdir = tempfile.TemporaryDirectory(prefix="midstream-mypyc-")
        lib = Path(self._workdir.name) / "lib"
        try:
            built = self._compile(Path(self._workdir.name), lib)
        except (Exception, SystemExit) as exc:  # mypyc exits on a type error; fall back
            print(
                f"midstream: compiling with mypyc failed ({exc!r}); "
                "building a pure Python wheel instead (same behaviour, slower)",
                file=sys.stderr,
            )
            return
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(lib).as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        workdir = getattr(self, "_workdir", None)
        if workdir is not None:
            workdir.cleanup()

    def _compile(self, workdir: Path, lib: Path) -> list[Path]:
        """Build the extension modules into ``lib`` (scratch space in ``workdir``).

        mypyc type-checks what it compiles. It does so on a copy of the
        package, away from the project's strict mypy settings (the tests'
        business) and without the runtime dependencies, which the compiled
        modules do not import.
        """
        from mypyc.build import mypycify
        from setuptools import Distribution

        source = workdir / "src"
        shutil.copytree(Path(self.root) / "src" / "midstream", source / "midstream")
        cwd = os.getcwd()
        os.chdir(source)  # mypyc names modules after their paths from here
        try:
            python = f"{sys.version_info[0]}.{sys.version_info[1]}"
            extensions = mypycify(
                [
                    *compiled_modules(source),
                    "--python-version", python,
                    "--ignore-missing-imports",
                    "--follow-imports", "silent",
                ],
                opt_level="3",
                target_dir=str(workdir / "c"),
            )
            dist = Distribution({"name": "midstream", "ext_modules": extensions})
            build_ext = dist.get_command_obj("build_ext")
            build_ext.build_lib = str(lib)
            build_ext.build_temp = str(workdir / "temp")
            dist.run_command("build_ext")
        finally:
            os.chdir(cwd)
        built = sorted(p for p in lib.rglob("*") if p.suffix in (".so", ".pyd"))
        if not built:
            raise RuntimeError("mypyc produced no extension module")
        return built
