"""Build the stream that ``midstream demo`` replays.

The document below is the project describing itself, as a model answering a
structured-output request would write it. This script cuts its JSON text at
real cl100k_base token boundaries (what a GPT-4-class model streams) and stores
the chunks in ``src/midstream/data/demo_stream.json``, so the demo needs no
tokenizer, key or network at run time.

Run it after changing the document::

    python scripts/make_demo_stream.py          # rewrite the data file
    python scripts/make_demo_stream.py --check  # exit 1 if the file is stale

``tests/test_cli.py`` checks that the committed file is exactly what this
script produces, so the data file is never edited by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

#: Where the package keeps the replayed stream.
DATA_FILE = Path(__file__).resolve().parents[1] / "src" / "midstream" / "data" / "demo_stream.json"

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.chunking import token_chunks  # noqa: E402  (cl100k_base boundaries)

DOCUMENT: dict[str, Any] = {
    "name": "midstream",
    "tagline": "Parse LLM output while it streams.",
    "summary": (
        "midstream reads the JSON, code blocks and tool calls of a model's answer as the"
        " tokens arrive, and tells you about each field the moment it starts, grows and"
        " completes, so your program can act on the first field while the model is still"
        " writing the last one."
    ),
    "install": "pip install midstream",
    "python": ">=3.10",
    "runtime_dependencies": ["pydantic", "jiter"],
    "sans_io": True,
    "features": [
        {
            "name": "JSON fields",
            "parser": "JsonStream",
            "detail": (
                "A character-level JSON state machine: every value gets one ValueStart and"
                " one ValueDone, strings stream as StringDelta, in linear time."
            ),
        },
        {
            "name": "Pydantic models",
            "parser": "ModelStream",
            "detail": (
                "Each field is validated the moment it completes, so an invalid field can"
                " stop a costly generation early."
            ),
        },
        {
            "name": "Tool calls",
            "parser": "ToolCallAssembler",
            "detail": (
                "Parallel calls from chat completions, the Responses API and Anthropic,"
                " each one done as soon as its arguments close."
            ),
        },
        {
            "name": "Code blocks",
            "parser": "CodeBlocks",
            "detail": "CommonMark fences, streamed line by line, written out as each block closes.",
        },
    ],
    "example": (
        "import midstream\n"
        "\n"
        "parser = midstream.JsonStream()\n"
        "for chunk in stream:\n"
        "    for event in parser.feed(chunk):\n"
        "        print(event)\n"
    ),
    "stars": 0,
    "license": "MIT",
}


def build() -> str:
    """The data file's content: the document's JSON text cut into token chunks."""
    text = json.dumps(DOCUMENT, indent=2, ensure_ascii=False) + "\n"
    data = {
        "made_by": "scripts/make_demo_stream.py",
        "tokenizer": "cl100k_base",
        "chunks": token_chunks(text),
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--check", action="store_true", help="exit 1 if the data file is stale")
    args = ap.parse_args(argv)
    content = build()
    if args.check:
        current = DATA_FILE.read_text(encoding="utf-8") if DATA_FILE.exists() else ""
        if current != content:
            print(f"{DATA_FILE} is stale: run python {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    DATA_FILE.write_text(content, encoding="utf-8")
    n = len(json.loads(content)["chunks"])
    print(f"wrote {DATA_FILE} ({n} chunks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
