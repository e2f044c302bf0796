"""Run every fuzz harness for a bounded time; exit non-zero on any crash.

CI entry point::

    python fuzz/run_all.py --seconds-per-target 20

For each harness ``fuzz/fuzz_<target>.py`` this runs atheris (libFuzzer) with
``-max_total_time`` over three corpus folders: ``fuzz/findings/work/<target>``
(new inputs go here; git ignores it), the committed seeds in
``fuzz/corpus/<target>`` and the seeds built from ``../shared`` by
``make_seeds.py --shared`` into ``fuzz/findings/seeds/<target>`` (skipped
where ../shared is absent). A crash, an uncaught exception, a timeout of one
input (``-timeout``) or running out of memory fails the target; its input is
saved as ``fuzz/findings/crashes/<target>-crash-<sha1>`` and the summary
says how to replay it. Exit status: 0 all clean, 1 a target failed, 2 setup
error (atheris missing).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
FINDINGS = FUZZ / "findings"
TARGETS = (
    "json", "snapshot", "code_blocks", "objects", "tool_calls", "sse", "splitters", "model_stream",
    "wire",
)

_DONE = re.compile(r"Done (\d+) runs in (\d+) second")
_COV = re.compile(r"cov: (\d+)")
_ARTIFACT = re.compile(r"Test unit written to (\S+)")
_EXCEPTION = re.compile(r"=== Uncaught Python exception: ===\n(.*?)\n", re.S)


def run_target(
    target: str, seconds: int, timeout: int, rss_mb: int, verbose: bool
) -> dict[str, object]:
    work = FINDINGS / "work" / target
    crashes = FINDINGS / "crashes"
    work.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    corpora = [str(work), str(FUZZ / "corpus" / target)]
    seeds = FINDINGS / "seeds" / target
    if seeds.is_dir():
        corpora.append(str(seeds))
    cmd = [
        sys.executable,
        str(FUZZ / f"fuzz_{target}.py"),
        *corpora,
        f"-max_total_time={seconds}",
        f"-timeout={timeout}",
        f"-rss_limit_mb={rss_mb}",
        f"-artifact_prefix={crashes}/{target}-",
        "-print_final_stats=1",
    ]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=FUZZ, capture_output=True, text=True, errors="replace",
            timeout=seconds + timeout + 300,
        )
        log, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        err = exc.stderr or ""
        log = (out if isinstance(out, str) else out.decode(errors="replace")) + (
            err if isinstance(err, str) else err.decode(errors="replace"))
        code = -1
    elapsed = time.monotonic() - started
    (FINDINGS / f"{target}.log").write_text(log)
    if verbose:
        print(log)
    done = _DONE.search(log)
    covs = _COV.findall(log)
    artifact = _ARTIFACT.search(log)
    exception = _EXCEPTION.search(log)
    if code == 0:
        problem = ""
    elif "ERROR: libFuzzer: timeout" in log:
        problem = "timeout (one input ran longer than -timeout)"
    elif "out-of-memory" in log:
        problem = "out of memory"
    elif exception:
        problem = exception.group(1).strip()[:300]
    elif code == -1:
        problem = "the fuzzer did not stop in time"
    else:
        problem = f"exit status {code}"
    return {
        "target": target,
        "ok": code == 0,
        "runs": int(done.group(1)) if done else 0,
        "cov": int(covs[-1]) if covs else 0,
        "seconds": elapsed,
        "problem": problem,
        "artifact": artifact.group(1) if artifact else "",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run every fuzz harness for a bounded time.")
    ap.add_argument("--seconds-per-target", type=int, default=20, metavar="N",
                    help="libFuzzer -max_total_time for each harness (default 20)")
    ap.add_argument("--targets", default=",".join(TARGETS),
                    help=f"comma-separated subset of {', '.join(TARGETS)}")
    ap.add_argument("--timeout", type=int, default=30,
                    help="seconds one input may take before it counts as a hang (default 30)")
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    ap.add_argument("--no-shared", action="store_true", help="don't build seeds from ../shared")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each fuzzer's log")
    args = ap.parse_args(argv)

    try:
        import atheris  # noqa: F401
    except ImportError:
        print("run_all: atheris is not installed; install the fuzz extra:"
              " python -m pip install -e '.[fuzz]'", file=sys.stderr)
        return 2
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown:
        print(f"run_all: unknown targets {unknown}; known: {', '.join(TARGETS)}", file=sys.stderr)
        return 2

    if not args.no_shared:
        subprocess.run([sys.executable, str(FUZZ / "make_seeds.py"), "--shared"], check=True,
                       cwd=FUZZ, env={**os.environ, "MIDSTREAM_FUZZ_NO_INSTRUMENT": "1"})

    results = []
    for target in targets:
        print(f"run_all: fuzzing {target} for {args.seconds_per_target} s ...", flush=True)
        results.append(run_target(target, args.seconds_per_target, args.timeout,
                                  args.rss_limit_mb, args.verbose))

    print()
    print(f"{'target':<12} {'result':<7} {'runs':>8} {'cov':>6} {'time':>7}")
    for r in results:
        print(f"{r['target']:<12} {'ok' if r['ok'] else 'CRASH':<7} {r['runs']:>8} {r['cov']:>6}"
              f" {r['seconds']:>6.0f}s")
    failed = [r for r in results if not r["ok"]]
    for r in failed:
        print(f"\n{r['target']}: {r['problem']}")
        if r["artifact"]:
            print(f"  input: {r['artifact']}")
            print(f"  replay: python fuzz/fuzz_{r['target']}.py {r['artifact']}")
        print(f"  log: {FINDINGS / (str(r['target']) + '.log')}")
    print(f"\nrun_all: {len(results) - len(failed)}/{len(results)} targets clean")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
