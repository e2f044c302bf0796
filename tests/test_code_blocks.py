"""CodeBlocks: CommonMark fenced code blocks out of a Markdown stream, under every chunking.

The oracle is markdown-it-py (a CommonMark parser) run on the whole text: the
blocks found (info string and content) must be its ``fence`` tokens, however
the text is cut into chunks. Each run also checks what a streaming user relies
on: the events give back every input character, each block gets at most one
CodeDelta per feed(), the deltas join to the block's code, and the merged
events do not depend on the chunking.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim, unescapeAll

import midstream
from helpers import (
    assert_chunk_invariant,
    chunkings,
    merge_deltas,
    reconstruct_code_text,
    shared_path,
    split_points,
)
from midstream import (
    DEFAULT_MAX_HOLD,
    CodeBlockDone,
    CodeBlocks,
    CodeBlockStart,
    CodeDelta,
    ErrorKind,
    IncompleteJsonError,
    JsonStream,
    JsonSyntaxError,
    LimitExceededError,
    StringDelta,
    TextDelta,
    ValueDone,
    ValueStart,
)
from midstream._markdown import _blocks, _classify, _languages, _lines, _syntax
from strategies import json_values

MD = MarkdownIt()  # the CommonMark preset


_EOL = re.compile(r"\r\n?")


def oracle(text: str) -> list[tuple[str, str]]:
    """(info, content) of each fenced block markdown-it-py finds in the whole text."""
    return [(mdTrim(unescapeAll(t.info)), t.content) for t in MD.parse(text) if t.type == "fence"]


def blocks(events: Iterable[Any]) -> list[tuple[str, str]]:
    """(info, code) of each reported block, line endings as markdown-it normalises them."""
    return [(e.info, _EOL.sub("\n", e.code)) for e in events if isinstance(e, CodeBlockDone)]


def _comparable(events: list[Any]) -> list[Any]:
    # Exceptions compare by identity; compare what a user matches on instead.
    return [
        dataclasses.replace(e, error=(type(e.error).__name__, e.error.kind, e.error.offset))
        if isinstance(e, CodeBlockDone) and e.error is not None
        else e
        for e in events
    ]


class Comparable:
    """CodeBlocks whose events compare by value (for assert_chunk_invariant)."""

    def __init__(self, **options: Any) -> None:
        self._parser = CodeBlocks(**options)

    def feed(self, text: str) -> list[Any]:
        return _comparable(self._parser.feed(text))

    def close(self) -> list[Any]:
        return _comparable(self._parser.close())


def feeds(chunks: Iterable[str], **options: Any) -> list[list[Any]]:
    """The events of each feed() call, then of close()."""
    parser = CodeBlocks(**options)
    per_call = [parser.feed(chunk) for chunk in chunks]
    per_call.append(parser.close())
    return per_call


def check(text: str, chunks: list[str], **options: Any) -> list[Any]:
    """Run ``chunks`` and assert the streaming contract; return the merged events."""
    per_call = feeds(chunks, **options)
    events = [e for call in per_call for e in call]
    assert reconstruct_code_text(events) == text
    for call in per_call:
        indexes = [e.index for e in call if isinstance(e, CodeDelta)]
        assert len(indexes) == len(set(indexes)), f"two CodeDeltas of one block in one feed: {call}"
    open_block: CodeBlockStart | None = None
    code: list[str] = []
    for e in events:
        if isinstance(e, CodeBlockStart):
            assert open_block is None
            open_block, code = e, []
        elif isinstance(e, CodeDelta):
            assert open_block is not None and e.index == open_block.index
            assert e.raw or e.events, "an empty CodeDelta carries JSON events"
            code.append(e.text)
        elif isinstance(e, CodeBlockDone):
            if open_block is not None:  # (a filtered block has neither Start nor Done)
                assert (e.index, e.lang, e.info) == (
                    open_block.index,
                    open_block.lang,
                    open_block.info,
                )
                assert "".join(code) == e.code
                assert e.closed == bool(e.fence)
            open_block = None
        else:
            assert isinstance(e, TextDelta) and e.text
    assert open_block is None, "a block was left open after close()"
    return _comparable(merge_deltas(events))


def check_against_oracle(text: str, chunks: list[str], **options: Any) -> list[Any]:
    merged = check(text, chunks, **options)
    assert merged == check(text, [text], **options), f"chunking {chunks!r} differs"
    assert blocks(merged) == oracle(text)
    return merged


# --- the CommonMark spec's examples ---------------------------------------------------


def spec_examples() -> list[dict[str, Any]]:
    path = shared_path("conformance", "commonmark", "fence_examples.json")
    examples: list[dict[str, Any]] = json.loads(path.read_text())["examples"]
    return examples


_PRE = re.compile(r'<pre><code(?: class="language-([^"]*)")?>(.*?)</code></pre>', re.DOTALL)


@pytest.mark.shared
def test_spec_examples_under_every_chunking() -> None:
    examples = spec_examples()
    assert len(examples) >= 41
    fenced_seen = 0
    for ex in examples:
        markdown = ex["markdown"]
        pre_blocks = [
            (html.unescape(lang or ""), html.unescape(code))
            for lang, code in _PRE.findall(ex["html"])
        ]
        # Indented code blocks render as <pre><code> too; markdown-it (whose
        # HTML equals the spec's) says which of the blocks are fenced.
        assert MD.render(markdown) == ex["html"], ex["example"]
        kinds = [t.type for t in MD.parse(markdown) if t.type in ("fence", "code_block")]
        assert len(kinds) == len(pre_blocks), ex["example"]
        expected = [b for b, kind in zip(pre_blocks, kinds, strict=True) if kind == "fence"]
        fenced_seen += len(expected)
        merged, error = assert_chunk_invariant(Comparable, markdown)
        assert error is None
        got = [(e.lang or "", e.code) for e in merged if isinstance(e, CodeBlockDone)]
        assert got == expected, ex["example"]
        for chunks in chunkings(markdown):
            check(markdown, chunks)
    assert fenced_seen >= 35


# --- generated Markdown against markdown-it-py --------------------------------------

_prose = st.sampled_from(
    [
        "foo",
        "bar baz",
        "`x`",
        "``",
        "~~",
        "*",
        "-",
        "#",
        ">",
        "1.",
        "2)",
        "<div>",
        "<custom>",
        "<!--",
        "-->",
        "_",
        "=",
        "\\`",
        "&amp;",
        "a\tb",
        "é😀",
        "x ```",
    ]
)
_prefixes = st.sampled_from(
    [
        "",
        "",
        "",
        "- ",
        "* ",
        "1. ",
        "2) ",
        "10. ",
        "> ",
        "> > ",
        "- > ",
        ">- ",
        "-  ",
        "  ",
        "   ",
        "    ",
    ]
)
_infos = st.sampled_from(
    ["", "", "python", " json", "js {x}", "a`b", "x~y", "  ", "\\`", "&lt;", "py title=a.py"]
)
_special = st.sampled_from(
    [
        "---",
        "***",
        "===",
        "- - -",
        "# h",
        "<div>",
        "</div>",
        "<!-- c",
        "-->",
        '<a href="x">',
        "<custom>",
        ">",
        "",
    ]
)


@st.composite
def fenced_block(draw: st.DrawFn) -> list[str]:
    """A block as a model writes it: under a list marker or quote, nested fences, maybe unclosed."""
    quote = draw(st.sampled_from(["", "", "> ", ">"]))
    first = draw(st.sampled_from(["", "", "- ", "1. ", "10. ", "* "]))
    indent = " " * draw(st.sampled_from([0, 0, 1, 3, 4]))
    char = draw(st.sampled_from("`~"))
    length = draw(st.integers(3, 5))
    rest = quote + " " * len(first) + indent
    lines = [quote + first + indent + char * length + draw(_infos)]
    for _ in range(draw(st.integers(0, 4))):
        ind = " " * draw(st.sampled_from([0, 0, 1, 2, 3, 4]))
        kind = draw(st.integers(0, 9))
        if kind < 2:  # a shorter, longer or spoilt fence of the same character
            lines.append(
                rest
                + ind
                + char * draw(st.integers(2, length + 2))
                + draw(st.sampled_from(["", " ", "  ", " x", "`"]))
            )
        elif kind < 3:  # a line cut short in its indentation
            lines.append(rest[: draw(st.integers(0, len(rest)))])
        elif kind < 4:  # a fence of the other character
            lines.append(
                rest + ind + ("~" if char == "`" else "`") * draw(st.integers(3, 6)) + draw(_infos)
            )
        else:
            lines.append(
                rest
                + ind
                + draw(
                    st.sampled_from(
                        [
                            "x = 1",
                            'print("`")',
                            "# c",
                            "- item",
                            "> q",
                            "<div>",
                            "",
                            "\tgo()",
                            "1. a",
                        ]
                    )
                )
            )
    if draw(st.integers(0, 4)):
        lines.append(
            rest
            + " " * draw(st.sampled_from([0, 0, 1, 3, 4]))
            + char * draw(st.integers(length - 1, length + 2))
            + draw(st.sampled_from(["", "", "  ", " x"]))
        )
    return lines


@st.composite
def markdown(draw: st.DrawFn) -> str:
    """Prose, list items, quotes, fences of both characters and lengths, nested and unclosed."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 7))):
        kind = draw(st.integers(0, 9))
        if kind < 4:
            lines += draw(fenced_block())
        elif kind < 6:
            fence = draw(st.sampled_from("`~")) * draw(st.integers(2, 6))
            lines.append(" " * draw(st.integers(0, 5)) + draw(_prefixes) + fence + draw(_infos))
        elif kind < 8:
            words = draw(st.lists(_prose, min_size=1, max_size=4))
            lines.append(" " * draw(st.integers(0, 5)) + draw(_prefixes) + " ".join(words))
        else:
            lines.append(" " * draw(st.integers(0, 4)) + draw(_prefixes) + draw(_special))
    eol = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    return eol.join(lines) + draw(st.sampled_from([eol, eol, ""]))


@given(st.data())
def test_generated_markdown_matches_markdown_it_for_any_chunking(data: st.DataObject) -> None:
    text = data.draw(markdown(), "text")
    chunks = data.draw(split_points(text), "chunks")
    check_against_oracle(text, chunks)
    check_against_oracle(text, list(text))


# Any mix of the pieces that matter to block structure (no tabs: see below).
_markdownish = st.lists(
    st.sampled_from(
        [
            " ",
            "  ",
            "    ",
            "\n",
            "\r",
            "\r\n",
            "`",
            "```",
            "````",
            "~~~",
            ">",
            "- ",
            "* ",
            "+ ",
            "1. ",
            "2) ",
            "x",
            "#",
            "=",
            "_",
            "---",
            "<div>",
            "<!--",
            "-->",
            "\\",
            "&",
            "!",
        ]
    ),
    max_size=30,
).map("".join)


@given(st.data())
def test_arbitrary_text_matches_markdown_it_for_any_chunking(data: st.DataObject) -> None:
    text = data.draw(_markdownish, "text")
    chunks = data.draw(split_points(text), "chunks")
    check_against_oracle(text, chunks)


@given(st.text(st.sampled_from(" \t\n\r`~>-*1.x<"), max_size=60), st.data())
def test_tabs_anywhere_keep_the_streaming_contract(text: str, data: st.DataObject) -> None:
    # markdown-it expands a tab after a list marker inside nested block quotes
    # from the wrong column (its bsCount is relative to the outer quote); we
    # use CommonMark's tab stops, so only the contract is checked here.
    chunks = data.draw(split_points(text), "chunks")
    assert check(text, chunks) == check(text, [text])


@pytest.mark.parametrize(
    "text",
    [
        "-\t```\n\tcode\n```\n",
        "```\n\tx\n```\n",
        " ```\n\t\tx\n",
        "   ```\n\tx\n\t```\n",
        "> ```\n>\tx\n",
        ">\t```\n>\t\tx\n",
        "1.\t```\n\t x\n",
        "- ```\n  \tx\n",
        "-  ```\n\t\tx\n",
        "\t```\n",
    ],
)
def test_tabs_at_one_level_match_markdown_it(text: str) -> None:
    for chunks in chunkings(text, tokens=False):
        check_against_oracle(text, chunks)


# --- the recorded real streams ------------------------------------------------------


def text_streams() -> Iterator[tuple[str, list[str]]]:
    """(name, text chunks) of every text answer in the corpus, as recorded."""
    folder = shared_path("corpus", "real")
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            streams: dict[Any, list[str]] = {}
            for event in record["events"]:
                if record["api"] == "openai.chat.completions":
                    for choice in event.get("choices") or []:
                        content = (choice.get("delta") or {}).get("content")
                        if isinstance(content, str) and content:
                            streams.setdefault(choice.get("index", 0), []).append(content)
                elif record["api"] == "anthropic.messages":
                    delta = event.get("delta") or {}
                    if (
                        event.get("type") == "content_block_delta"
                        and delta.get("type") == "text_delta"
                    ):
                        streams.setdefault(event["index"], []).append(delta["text"])
                elif event.get("type") == "response.output_text.delta":
                    streams.setdefault(event.get("item_id"), []).append(event["delta"])
            for key, chunks in streams.items():
                yield f"{record['id']}#{key}", chunks


@pytest.mark.shared
def test_real_answers_replayed_chunk_by_chunk() -> None:
    replayed = with_fences = found = 0
    for name, chunks in text_streams():
        text = "".join(chunks)
        merged = check(text, chunks)
        assert merged == check(text, [text]), name
        assert blocks(merged) == oracle(text), name
        replayed += 1
        with_fences += "```" in text
        found += len(blocks(merged))
    assert replayed > 100 and with_fences >= 10 and found >= 10, (replayed, with_fences, found)


@pytest.mark.shared
def test_real_json_fences_stream_their_fields() -> None:
    for name, chunks in text_streams():
        text = "".join(chunks)
        if "```json" not in text:
            continue
        merged = check(text, chunks, json=True)
        assert merged == check(text, [text], json=True), name
        for done in (e for e in merged if isinstance(e, CodeBlockDone) and e.lang == "json"):
            try:
                expected = json.loads(done.code)
            except ValueError:
                assert done.error is not None, name
                continue
            deltas = [e for e in merged if isinstance(e, CodeDelta) and e.index == done.index]
            assert deltas[-1].events[-1] == ValueDone((), expected), name


# --- named boundary cases -----------------------------------------------------------


def events_of(chunks: list[str], **options: Any) -> list[Any]:
    return [e for call in feeds(chunks, **options) for e in call]


def test_fence_split_across_chunks() -> None:
    per_call = feeds(["Intro\n``", "`py", "thon\nx = 1\n`", "`", "`\nafter"])
    assert per_call[0] == [TextDelta("Intro\n")]
    assert per_call[1] == []  # "```py" could still be an opening fence line: held
    assert per_call[2] == [
        CodeBlockStart(0, "python", "python", "```python\n"),
        CodeDelta(0, "x = 1\n", "x = 1\n", []),
    ]
    assert per_call[3] == []  # "``" could still be the closing fence
    assert per_call[4] == [
        CodeBlockDone(0, "python", "python", "x = 1\n", True, "```\n", None),
        TextDelta("after"),
    ]


def test_four_backtick_fence_around_three() -> None:
    text = "````markdown\n```python\nprint(1)\n```\n````\n"
    (done,) = [e for e in events_of([text]) if isinstance(e, CodeBlockDone)]
    assert (done.lang, done.code, done.closed) == ("markdown", "```python\nprint(1)\n```\n", True)
    for chunks in chunkings(text):
        check_against_oracle(text, chunks)


def test_tildes_and_backticks_do_not_close_each_other() -> None:
    text = "~~~ aa ``` ~~~\n```\n~~\n```js\n~~~~ \n"
    assert blocks(events_of([text])) == [("aa ``` ~~~", "```\n~~\n```js\n")] == oracle(text)
    assert blocks(events_of(["```\n~~~\n```\n"])) == [("", "~~~\n")]


def test_backtick_info_string_cannot_hold_a_backtick() -> None:
    assert blocks(events_of(["``` aa ```\nfoo\n"])) == []
    assert blocks(events_of(["```foo`\nbar\n"])) == []


def test_indented_fence_strips_its_indentation_from_the_code() -> None:
    text = "   ```\n   aaa\n    aaa\n  aaa\n   ```\n"
    events = events_of(list(text))
    assert blocks(events) == [("", "aaa\n aaa\naaa\n")]
    assert reconstruct_code_text(events) == text
    assert blocks(events_of(["    ```\n    aaa\n    ```\n"])) == []  # indented code, not a fence


def test_backticks_inside_code() -> None:
    text = "```\nx = `y` + ``z``\n``` not a closing fence\n  ``\n```\n"
    assert blocks(events_of(list(text))) == [
        ("", "x = `y` + ``z``\n``` not a closing fence\n  ``\n")
    ]


def test_unclosed_block_ends_at_close() -> None:
    per_call = feeds(["```py\nprint(", "1)"])
    assert per_call[1] == [CodeDelta(0, "1)", "1)", [])]
    assert per_call[2] == [CodeBlockDone(0, "py", "py", "print(1)", False, "", None)]


def test_crlf_split_between_chunks() -> None:
    text = "```\r\ncode\r\n```\r\nafter\r"
    events = events_of(["```\r", "\ncode\r", "\n```\r", "\nafter\r"])
    assert reconstruct_code_text(events) == text
    starts = [e for e in events if isinstance(e, CodeBlockStart)]
    dones = [e for e in events if isinstance(e, CodeBlockDone)]
    assert starts[0].fence == "```\r\n" and dones[0].fence == "```\r\n"
    assert dones[0].code == "code\r\n"
    for chunks in chunkings(text):
        check_against_oracle(text, chunks)


def test_lone_cr_line_endings() -> None:
    text = "a\r```\rx\r```\rb"
    for chunks in chunkings(text):
        assert blocks(check_against_oracle(text, chunks)) == [("", "x\n")]


def test_fence_in_a_list_item_loses_the_item_indentation() -> None:
    text = "1. Install:\n   ```bash\n   pip install x\n\n     --upgrade\n   ```\n2. Run it.\n"
    events = events_of([text])
    assert blocks(events) == [("bash", "pip install x\n\n  --upgrade\n")]
    start = next(e for e in events if isinstance(e, CodeBlockStart))
    assert start.fence == "```bash\n"  # the item's indentation went out as text
    (delta,) = [e for e in events if isinstance(e, CodeDelta)]
    assert delta.raw == "   pip install x\n\n     --upgrade\n"
    for chunks in chunkings(text):
        check_against_oracle(text, chunks)


def test_an_outdented_line_ends_a_block_in_a_list_item() -> None:
    per_call = feeds(["- ```\n  a\nb", "\n"])
    assert per_call[0][-2:] == [CodeBlockDone(0, None, "", "a\n", False, "", None), TextDelta("b")]


def test_fence_in_a_block_quote() -> None:
    text = "> ```py\n> x\n>\n> y\nz\n"
    events = events_of(list(text))
    assert blocks(events) == [("py", "x\n\ny\n")]
    assert next(e for e in events if isinstance(e, CodeBlockDone)).closed is False


def test_fences_inside_html_blocks_and_indented_code_are_text() -> None:
    for text in [
        "<div>\n```\nnot code\n```\n</div>\n",
        "para\n\n    ```\n    x\n",
        "<!--\n```\n-->\n",
    ]:
        assert events_of([text]) == [TextDelta(text)]


def test_a_paragraph_does_not_hide_a_fence() -> None:
    assert blocks(events_of(["Here it is:\n```py\nx\n```\n"])) == [("py", "x\n")]


def test_info_string_escapes_and_entities_are_decoded() -> None:
    (start,) = [
        e for e in events_of(["``` f&ouml;\\+o bar\n```\n"]) if isinstance(e, CodeBlockStart)
    ]
    assert (start.lang, start.info, start.fence) == ("fö+o", "fö+o bar", "``` f&ouml;\\+o bar\n")


def test_last_line_of_only_spaces_is_not_code() -> None:
    events = events_of(["```\ncode\n   "])
    assert blocks(events) == [("", "code\n")] == oracle("```\ncode\n   ")
    assert events[-1] == TextDelta("   ")


# --- streaming: what is held back and what is not -------------------------------------


def test_code_streams_before_its_line_ends() -> None:
    parser = CodeBlocks()
    parser.feed("```\n")
    assert parser.feed("print(") == [CodeDelta(0, "print(", "print(", [])]
    assert parser.feed('"hi")') == [CodeDelta(0, '"hi")', '"hi")', [])]


def test_only_a_line_start_that_could_close_the_block_is_held() -> None:
    parser = CodeBlocks()
    parser.feed("- ```\n  x\n")
    assert parser.feed("  ``") == []
    assert parser.feed("`  ") == []  # "  ```  " is a closing fence so far
    assert parser.feed("a") == [CodeDelta(0, "```  a", "  ```  a", [])]
    assert parser.feed("\n  `` ") == [CodeDelta(0, "\n`` ", "\n  `` ", [])]  # too short to close
    assert parser.feed("\n  ```  ") == [CodeDelta(0, "\n", "\n", [])]
    assert parser.feed("\n") == [
        CodeBlockDone(0, None, "", "x\n```  a\n`` \n", True, "  ```  \n", None)
    ]


def test_prose_streams_before_its_line_ends() -> None:
    parser = CodeBlocks()
    assert parser.feed("Hello wor") == [TextDelta("Hello wor")]
    assert parser.feed("ld") == [TextDelta("ld")]
    assert parser.feed("\n`") == [TextDelta("\n")]  # "`" may start a fence
    assert parser.feed("x") == [TextDelta("`x")]


def test_a_number_of_ten_digits_is_not_held() -> None:
    parser = CodeBlocks()
    assert parser.feed("123456789") == []  # may still be a list marker, "123456789. "
    assert parser.feed("0") == [TextDelta("1234567890")]  # may not


def test_one_code_delta_per_block_per_feed() -> None:
    calls = feeds(["```\n" + "line\n" * 50, "more\n" * 50 + "```\n"])
    assert [type(e) for e in calls[0]] == [CodeBlockStart, CodeDelta]
    assert [type(e) for e in calls[1]] == [CodeDelta, CodeBlockDone]


def test_empty_feed_does_nothing_and_feed_after_close_is_an_error() -> None:
    parser = CodeBlocks()
    assert parser.feed("") == []
    parser.close()
    assert parser.close() == []
    with pytest.raises(RuntimeError):
        parser.feed("x")


def _count_classified(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the characters handed to the line classifier, wherever it is called from."""
    scanned = [0]

    def counting(classify: Any) -> Any:
        def wrapper(blocks: Any, s: str, *args: Any, **kwargs: Any) -> Any:
            scanned[0] += len(s)  # a resumed scan is handed only the text from where it resumes
            return classify(blocks, s, *args, **kwargs)

        return wrapper

    for module in (_blocks, _lines):
        for name in ("classify_start", "classify_line"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, counting(getattr(_classify, name)))
    return scanned


def test_cost_is_linear_even_one_character_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    scanned = _count_classified(monkeypatch)
    answer = "Intro *text*.\n\n1. Step:\n   ```python\n   x = 1\n   ```\n> ```\n> q\n"
    hostile = (
        "```"
        + "i" * 3000
        + "\n"  # a long info string, held until its line ends
        + "``````"
        + " " * 3000
        + "\n"  # a closing fence with a long tail, held
        + "- ```\n"
        + " " * 3000
        + "x\n"  # a long indentation, held
        + "`" * 3000
        + "\n"  # a long run of backticks, held: it opens a block
        + "`" * 3000
        + "\n"  # and one that closes it (so that what follows is not code)
        + "- " * 1500
        + "-\n"  # a thematic break that could be nested items until its end
        + "> " * 1500
        + "```\n"  # a fence 1500 quotes deep
        + "1. " * 1300
        + "x\n"  # items 1300 deep: held until the x
        + "- > " * 600
        + "  " * 400
        + "x\n"  # items and quotes, then spaces
        + "`" * 5000
        + "\n"  # a run longer than max_hold: text from its 4001st character
        + "```"
        + "i" * 5000
        + "\n"  # an info string longer than max_hold: text
    )
    text = answer * 40 + hostile
    for chunks in (list(text), [text]):
        scanned[0] = 0
        assert reconstruct_code_text(events_of(chunks, max_hold=4000, max_nesting=2000)) == text
        assert scanned[0] <= 3 * len(text), scanned[0]


@given(st.one_of(_markdownish, st.text(st.sampled_from(" \t\n\r`~>-*1.x<"), max_size=60)))
def test_a_resumed_scan_decides_as_a_scan_from_the_line_start(text: str) -> None:
    # Fed one character at a time, a held line start is scanned on from where
    # the last scan of it stopped; that must decide what a scan of the whole
    # line so far decides, and stop at the same place.
    classify_start = _classify.classify_start
    judge = _lines.HeldLine.judge
    before = [""]  # the held line before the window being judged

    def summary(found: Any) -> Any:
        if isinstance(found, _classify.Plan):
            return (found.kind, found.ended, found.base_pos, found.base_col)
        return found  # a Cursor, compared whole (its hold pattern too)

    def judging(self: _lines.HeldLine, *args: Any) -> Any:
        before[0] = "".join(self.pieces)
        return judge(self, *args)

    def checking(blocks: Any, s: str, at: Any = None, off: int = 0, **kwargs: Any) -> Any:
        got = classify_start(blocks, s, at, off, **kwargs)
        if at is not None:
            assert len(before[0]) == off
            assert summary(got) == summary(classify_start(blocks, before[0] + s, **kwargs))
        return got

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_lines.HeldLine, "judge", judging)
        patch.setattr(_lines, "classify_start", checking)
        check(text, list(text))


def test_a_line_released_as_text_that_is_not_text_at_its_end_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An internal-consistency check, armed in production: a prose line is
    # released before its end only when its end cannot make it anything else.
    def wrong(blocks: Any, s: str, **kwargs: Any) -> Any:
        return _classify.Plan(_syntax.CLOSE, False)

    parser = CodeBlocks()
    assert parser.feed("Some prose") == [TextDelta("Some prose")]
    monkeypatch.setattr(_blocks, "classify_line", wrong)
    with pytest.raises(AssertionError, match="a line released as text is not text at its end"):
        parser.feed("\n")


# --- the language filter ------------------------------------------------------------


def test_language_filter_reports_only_matching_blocks() -> None:
    text = "a\n```Python\np\n```\n```js\nj\n```\n~~~\nn\n~~~\n"
    events = events_of([text], languages={"python"})
    assert [(e.index, e.lang) for e in events if isinstance(e, CodeBlockStart)] == [(0, "Python")]
    assert reconstruct_code_text(events) == text
    assert "```js\nj\n```\n~~~\nn\n~~~\n" in "".join(
        e.text for e in events if isinstance(e, TextDelta)
    )
    no_lang = events_of([text], languages={""})
    assert [(e.index, e.lang) for e in no_lang if isinstance(e, CodeBlockStart)] == [(2, None)]
    with pytest.raises(TypeError):
        CodeBlocks(languages="python")


_ALIASES = [  # (a name passed in languages=, a fence's language it must match)
    ("py", "python"),
    ("python", "py"),
    ("PY", "Python3"),
    ("javascript", "js"),
    ("js", "node"),
    ("ts", "typescript"),
    ("sh", "bash"),
    ("shell", "zsh"),
    ("yml", "yaml"),
    ("md", "markdown"),
    ("rb", "ruby"),
    ("rs", "rust"),
    ("golang", "go"),
    ("c++", "cpp"),
    ("cs", "csharp"),
    ("kt", "kotlin"),
]


@pytest.mark.parametrize(("name", "lang"), _ALIASES)
def test_language_filter_matches_aliases_as_linguist_names_them(name: str, lang: str) -> None:
    text = f"a\n```{lang}\nx\n```\n```other\ny\n```\n"
    for chunks in chunkings(text):
        events = check(text, chunks, languages=[name])
        assert [(e.index, e.lang) for e in events if isinstance(e, CodeBlockStart)] == [(0, lang)]


def test_language_filter_without_an_alias_is_an_exact_name() -> None:
    text = "```python\np\n```\n```pythonic\nq\n```\n```c\nc\n```\n```\nn\n```\n"
    found = {
        name: [e.lang for e in events_of([text], languages=[name]) if isinstance(e, CodeBlockStart)]
        for name in ("pythonic", "c", "C", "", "pyth", "objective-c")
    }
    assert found == {
        "pythonic": ["pythonic"],
        "c": ["c"],
        "C": ["c"],
        "": [None],
        "pyth": [],
        "objective-c": [],
    }


@given(st.text(max_size=400))
def test_a_file_extension_from_any_info_string_is_short_and_plain(word: str) -> None:
    ext = _languages.extension(word)
    assert re.fullmatch(r"[a-z0-9_-]{1,16}", ext), ext
    assert _languages.extension(word.upper()) == ext or not word.isascii()


@given(st.data())
def test_a_filtered_block_comes_out_as_its_text(data: st.DataObject) -> None:
    text = data.draw(markdown(), "text")
    chunks = data.draw(split_points(text), "chunks")
    full = check(text, [text])
    keep = {"python", "json"}
    kept = {"python", "py", "python3", "json"}  # with the aliases the strategy writes
    expected: list[Any] = []
    dropped: set[int] = set()
    for e in full:
        if isinstance(e, CodeBlockStart) and (e.lang or "").lower() not in kept:
            dropped.add(e.index)
        if isinstance(e, (CodeBlockStart, CodeDelta, CodeBlockDone)) and e.index in dropped:
            expected.append(TextDelta(e.raw if isinstance(e, CodeDelta) else e.fence))
        else:
            expected.append(e)
    assert check(text, chunks, languages=keep) == merge_deltas(expected)


# --- json blocks --------------------------------------------------------------------


def test_json_block_fields_stream() -> None:
    per_call = feeds(['Result:\n```json\n{"name": "Ad', 'a", "tags": [1]}\n```\n'], json=True)
    first = next(e for e in per_call[0] if isinstance(e, CodeDelta))
    assert first.events == [
        ValueStart((), "object"),
        ValueStart(("name",), "string"),
        StringDelta(("name",), "Ad"),
    ]
    second = next(e for e in per_call[1] if isinstance(e, CodeDelta))
    assert second.events[-1] == ValueDone((), {"name": "Ada", "tags": [1]})
    assert per_call[1][-1].error is None


def test_bad_json_is_reported_at_the_end_and_the_code_still_streams() -> None:
    text = '```json\n{"a": 1, // comment\n}\n```\n'
    events = events_of([text], json=True)
    done = events[-1]
    assert isinstance(done, CodeBlockDone) and done.code == '{"a": 1, // comment\n}\n'
    assert isinstance(done.error, JsonSyntaxError) and done.error.offset == 9
    assert assert_chunk_invariant(lambda: Comparable(json=True), text)[1] is None


def test_unfinished_json_and_a_root_number_at_close() -> None:
    done = events_of(['```json\n{"a": ['], json=True)[-1]
    assert isinstance(done.error, IncompleteJsonError)
    events = events_of(["```json\n42"], json=True)
    assert events[-2] == CodeDelta(0, "", "", [ValueDone((), 42)])
    assert events[-1].error is None


def test_json_option_leaves_other_blocks_alone() -> None:
    events = events_of(["```py\n{\n```\n```\n[\n```\n"], json=True)
    assert all(not e.events for e in events if isinstance(e, CodeDelta))
    assert all(e.error is None for e in events if isinstance(e, CodeBlockDone))


@given(
    json_values(),
    st.sampled_from([None, 2]),
    st.data(),
)
def test_json_block_events_are_json_streams_events(
    value: Any, indent: int | None, data: st.DataObject
) -> None:
    body = json.dumps(value, indent=indent)
    item = "".join("  " + line + "\n" for line in body.split("\n"))
    text = f"Here:\n\n- ```json\n{item}  ```\n"  # a block in a list item
    code = body + "\n"
    expected = JsonStream().feed(code)
    chunks = data.draw(split_points(text), "chunks")
    merged = check(text, chunks, json=True)
    (delta,) = [e for e in merged if isinstance(e, CodeDelta)]
    assert delta.text == code
    assert delta.events == merge_deltas(expected)
    assert delta.events[-1] == ValueDone((), value)


# --- limits and errors --------------------------------------------------------------


def test_a_line_longer_than_max_hold_is_never_a_fence() -> None:
    hold = lambda: Comparable(max_hold=16)  # noqa: E731
    cases = {
        # an opening fence line of 17 characters and more is prose
        "ok\n```" + "x" * 14 + "\ncode\n": [],
        "```" + "x" * 13 + "\ncode\n": [("x" * 13, "code\n")],  # 16: still a fence
        "`" * 40 + "\nafter\n": [],
        "~" * 17: [],
        "~" * 16: [("", "")],
        # a closing fence of 17 characters and more is code
        "```\ncode\n```" + " " * 14 + "\nmore\n```\n": [("", "code\n```" + " " * 14 + "\nmore\n")],
        "```\ncode\n```" + " " * 13 + "\n": [("", "code\n")],
        "> ```\n> a\n> ```" + " " * 12 + "\n> b\n": [("", "a\n```" + " " * 12 + "\nb\n")],
        # a fence after a long run of markers is not one
        "ok\n" + "- " * 8 + "```\nx\n": [],
        "ok\n" + "> " * 8 + "```\nx\n": [],
        # indentation in a block that passes max_hold: a code line
        "```\n" + " " * 30 + "x\n```\n": [("", " " * 30 + "x\n")],
        "```\n" + " " * 30 + "\n```\n": [("", " " * 30 + "\n")],
    }
    for text, expected in cases.items():
        merged, error = assert_chunk_invariant(hold, text, tokens=False)
        assert error is None, text
        assert reconstruct_code_text(merged) == text
        assert blocks(merged) == expected, text
        for chunks in chunkings(text, tokens=False):
            check(text, chunks, max_hold=16)


def test_a_held_line_comes_out_once_it_passes_max_hold() -> None:
    parser = CodeBlocks(max_hold=16)
    assert parser.feed("ok\n") == [TextDelta("ok\n")]
    assert parser.feed("```" + "x" * 13) == []  # 16 characters: could still open a block
    assert parser.feed("x") == [TextDelta("```" + "x" * 14)]  # 17: text, and streams
    assert parser.feed("yy") == [TextDelta("yy")]
    parser.feed("\n```\n")
    assert parser.feed("   ```" + " " * 10) == []  # a closing fence so far
    line = "   ```" + " " * 11  # 17: code
    assert parser.feed(" ") == [CodeDelta(0, line, line, [])]
    assert parser.feed("\n```\n")[-1] == CodeBlockDone(
        0, None, "", line + "\n", True, "```\n", None
    )


@given(st.integers(1, 24), st.data())
def test_max_hold_changes_only_lines_longer_than_it(hold: int, data: st.DataObject) -> None:
    text = data.draw(st.one_of(markdown(), _markdownish, st.text(" \t\n\r`~>-*1.x<")), "text")
    chunks = data.draw(split_points(text), "chunks")
    merged = check(text, chunks, max_hold=hold)
    assert merged == check(text, [text], max_hold=hold)
    assert merged == check(text, list(text), max_hold=hold)
    lines = _EOL.sub("\n", text).split("\n")
    for e in merged:  # no fence line is longer than max_hold
        if isinstance(e, (CodeBlockStart, CodeBlockDone)):
            assert len(e.fence.rstrip("\r\n")) <= hold
    if max(map(len, lines)) <= hold and "\t" not in text:  # (tabs: see above)
        assert blocks(merged) == oracle(text)


def test_a_long_prose_line_is_judged_the_same_fed_whole_or_in_pieces() -> None:
    # A prose line longer than max_hold is judged at its end on its first
    # max_hold characters and a digest of the rest, however it was fed (fed
    # whole, this HTML tag used to start an HTML block, hiding the fence).
    text = '<a b="' + "xy" * 60 + '">\n```\ncode\n```\n'
    merged, error = assert_chunk_invariant(lambda: Comparable(max_hold=16), text, tokens=False)
    assert error is None and blocks(merged) == [("", "code\n")]


def test_long_lines_that_cannot_be_fences_are_never_held() -> None:
    parser = CodeBlocks(max_hold=8)
    assert parser.feed("p" * 100) == [TextDelta("p" * 100)]
    parser.feed("\n```\n")
    assert parser.feed("c" * 100) == [CodeDelta(0, "c" * 100, "c" * 100, [])]
    # and a prose line longer than max_hold still gets its line-end rules (a setext heading)
    text = "para\n" + "=" * 50 + "\n```\nx\n```\n"
    assert blocks(events_of(list(text), max_hold=8)) == [("", "x\n")] == oracle(text)


def test_nesting_deeper_than_max_nesting_is_a_limit_error() -> None:
    with pytest.raises(LimitExceededError) as info:
        events_of(["ok\n" + "> " * 5 + "x\n"], max_nesting=4)
    assert (info.value.kind, info.value.line) == (ErrorKind.DEPTH_LIMIT, 2)
    assert blocks(events_of(["> " * 4 + "```\n"], max_nesting=4)) == [("", "")]


def test_defaults_are_exported() -> None:
    assert midstream.DEFAULT_MAX_HOLD == DEFAULT_MAX_HOLD > 1000
    assert midstream.DEFAULT_MAX_NESTING >= 20
