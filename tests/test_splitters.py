"""Lines, Words and Sentences: the same units under every chunking, and the named hard cases."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import midstream
from helpers import assert_chunk_invariant, chunkings, run, split_points
from midstream import ErrorKind, LimitExceededError, Lines, Sentences, Words


def split(make: Callable[[], Any], chunks: Any) -> list[str]:
    splitter = make()
    units: list[str] = []
    for chunk in chunks:
        units += splitter.feed(chunk)
    return units + splitter.close()


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, checked to be the same under many chunkings."""
    units, error = assert_chunk_invariant(Sentences, text)
    assert error is None
    return units


# --- Lines ---------------------------------------------------------------------------

LINE_TEXT = st.text(alphabet="ab \n\r\v\f\x1c\x85\u2028é", max_size=40)


@given(LINE_TEXT, st.data())
def test_lines_equal_splitlines_for_any_chunking(text: str, data: st.DataObject) -> None:
    chunks = data.draw(split_points(text))
    assert split(Lines, chunks) == text.splitlines()
    assert split(lambda: Lines(keepends=True), chunks) == text.splitlines(keepends=True)


@pytest.mark.parametrize("keepends", [False, True])
def test_lines_every_chunking_of_mixed_line_ends(keepends: bool) -> None:
    text = "one\r\ntwo\rthree\n\r\n\rfour\u2028five\r"
    for chunks in chunkings(text):
        assert split(lambda: Lines(keepends=keepends), chunks) == text.splitlines(keepends)


def test_lines_crlf_split_across_chunks_is_one_line_end() -> None:
    assert split(Lines, ["a\r", "\nb\r", "", "\n"]) == ["a", "b"]
    assert split(lambda: Lines(keepends=True), ["a\r", "\nb\r", "", "\n"]) == ["a\r\n", "b\r\n"]


def test_lines_cr_at_chunk_end_comes_out_at_once_without_keepends() -> None:
    lines = Lines()
    assert lines.feed("a\r") == ["a"]
    assert lines.feed("\n") == []  # the rest of the "\r\n", not an empty line
    assert lines.feed("\n") == [""]


def test_lines_cr_at_chunk_end_waits_for_the_next_character_with_keepends() -> None:
    lines = Lines(keepends=True)
    assert lines.feed("a\r") == []
    assert lines.feed("b") == ["a\r"]
    assert lines.feed("\r") == []
    assert lines.close() == ["b\r"]


def test_lines_last_line_without_break_comes_out_at_close() -> None:
    lines = Lines()
    assert lines.feed("first\nsec") == ["first"]
    assert lines.feed("ond") == []
    assert lines.close() == ["second"]
    assert lines.close() == []
    with pytest.raises(RuntimeError):
        lines.feed("more")


@given(st.text(alphabet="ab\n\r", max_size=30), st.integers(1, 4), st.data())
def test_lines_length_limit_is_the_same_error_under_any_chunking(
    text: str, limit: int, data: st.DataObject
) -> None:
    make = lambda: Lines(max_length=limit)  # noqa: E731
    expected = run(make, [text])
    assert run(make, data.draw(split_points(text))) == expected
    too_long = [line for line in text.splitlines() if len(line) > limit]
    assert (expected[1] is not None) == bool(too_long)
    if too_long:
        assert expected[1][0] is ErrorKind.SIZE_LIMIT


def test_lines_length_limit_position() -> None:
    lines = Lines(max_length=3)
    assert lines.feed("abc\nde") == ["abc"]
    with pytest.raises(LimitExceededError) as info:
        lines.feed("fg\n")
    assert (info.value.offset, info.value.line, info.value.column) == (7, 2, 4)
    with pytest.raises(LimitExceededError):
        lines.close()


# --- Words ---------------------------------------------------------------------------

WORD_TEXT = st.text(alphabet="ab\u00e9 \t\n\r\x1f\x85\xa0\u2003\u3000.", max_size=40)


@given(WORD_TEXT, st.data())
def test_words_equal_str_split_for_any_chunking(text: str, data: st.DataObject) -> None:
    assert split(Words, data.draw(split_points(text))) == text.split()


def test_words_come_out_when_the_whitespace_after_them_arrives() -> None:
    words = Words()
    assert words.feed("hel") == []
    assert words.feed("lo wor") == ["hello"]
    assert words.feed("ld") == []
    assert words.feed("\u3000") == ["world"]  # ideographic space is whitespace too
    assert words.feed("  end") == []
    assert words.close() == ["end"]


@given(st.text(alphabet="ab \n", max_size=30), st.integers(1, 4), st.data())
def test_words_length_limit_is_the_same_error_under_any_chunking(
    text: str, limit: int, data: st.DataObject
) -> None:
    make = lambda: Words(max_length=limit)  # noqa: E731
    expected = run(make, [text])
    assert run(make, data.draw(split_points(text))) == expected
    first_long = next((m for m in re.finditer(r"\S+", text) if len(m.group()) > limit), None)
    if first_long is None:
        assert expected == (text.split(), None)
    else:
        assert expected[1] == (ErrorKind.SIZE_LIMIT, first_long.start() + limit)


def test_words_length_limit_line_and_column() -> None:
    with pytest.raises(LimitExceededError) as info:
        split(lambda: Words(max_length=4), ["one\n  two thr", "eeee"])
    assert (info.value.offset, info.value.line, info.value.column) == (14, 2, 11)


# --- Sentences: the defining property ----------------------------------------------------

FRAGMENTS = [
    "Hello", "world", "the", "end", "It", "was", "3.14", "e.g.", "i.e.", "Dr.", "Mr.", "etc.",
    "U.S.", "J.", "No.", "5", "1.", ".", "!", "?", "?!", "...", "…", '"', "'", ")", "(", "”",
    "」", "**", "。", "！", "？", "你好", "は", " ", " ", " ", "  ", "\n", "\r\n", "\r", "\n\n",
    "\t", "\u3000", "Q", "a",
]  # fmt: skip

SENTENCE_TEXT = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join) | st.text(
    alphabet='ab A.!?…。」" \n\r', max_size=30
)


@given(SENTENCE_TEXT, st.data())
def test_sentences_do_not_depend_on_the_chunking(text: str, data: st.DataObject) -> None:
    expected = split(Sentences, [text])
    assert split(Sentences, data.draw(split_points(text))) == expected
    # No text is lost or reordered: the sentences are the text, cut at whitespace.
    rest = text
    for sentence in expected:
        assert sentence and sentence == sentence.strip()
        gap, found, rest = rest.partition(sentence)
        assert found and not gap.strip(), (gap, sentence)
    assert not rest.strip()


@given(SENTENCE_TEXT, st.integers(1, 12), st.data())
def test_sentence_length_limit_is_the_same_error_under_any_chunking(
    text: str, limit: int, data: st.DataObject
) -> None:
    make = lambda: Sentences(max_length=limit)  # noqa: E731
    expected = run(make, [text])
    assert run(make, data.draw(split_points(text))) == expected
    if expected[1] is None:
        assert all(len(s) <= limit for s in expected[0])


# --- Sentences: named cases ------------------------------------------------------------


def test_plain_sentences() -> None:
    text = "The sky is blue. Grass is green! Is water wet? Yes."
    assert sentences(text) == ["The sky is blue.", "Grass is green!", "Is water wet?", "Yes."]


def test_decimals_versions_and_urls_do_not_end_a_sentence() -> None:
    text = "Pi is 3.14 roughly. Version 2.0.1 is on example.com now. Next."
    assert sentences(text) == [
        "Pi is 3.14 roughly.",
        "Version 2.0.1 is on example.com now.",
        "Next.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Use a typed language, e.g. Python or Rust, for this.",
        "Use a typed language, i.e. Python, for this.",
        "Ask Dr. Smith and Mr. Jones about it.",
        "It was Mrs. Brown vs. Prof. Green in the final.",
        "See Fig. 3 and No. 5 on p. 12 for details.",
        "The U.S. Army and the U.K. Navy met at 5 p.m. Tuesday.",
        "Apples, pears, etc. and other fruit are sold here.",
        "Books by J. R. R. Tolkien are long.",
        "Wait... What happened… Nobody knows.",
        "1. Install the package with pip.",
    ],
)
def test_one_sentence_despite_inner_full_stops(text: str) -> None:
    assert sentences(text) == [text]
    assert sentences(text + " Then more.") == [text, "Then more."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. First item\n2. Second item", ["1. First item\n2. Second item"]),
        ("1. First item.\n2. Second item.", ["1. First item.", "2. Second item."]),
        ("Steps:\n  1. Install it\r\n  2. Run it", ["Steps:\n  1. Install it\r\n  2. Run it"]),
        ("Do this:\n10. Ten\n11. Eleven", ["Do this:\n10. Ten\n11. Eleven"]),
        # a number that does not begin its line still ends a sentence
        ("It was 1999. Then it changed.", ["It was 1999.", "Then it changed."]),
        ("Call\nme at 5. Then go.", ["Call\nme at 5.", "Then go."]),
    ],
)
def test_a_list_number_at_a_line_start_does_not_end_a_sentence(
    text: str, expected: list[str]
) -> None:
    assert sentences(text) == expected


def test_etc_ends_a_sentence_when_a_capital_follows() -> None:
    assert sentences("Bring apples, pears, etc. The rest is fine.") == [
        "Bring apples, pears, etc.",
        "The rest is fine.",
    ]


def test_closing_quotes_and_brackets_stay_with_the_sentence() -> None:
    text = (
        'He said "Stop." Then he left. (See above.) She said \u201cNo!\u201d This is **bold.** End.'
    )
    assert sentences(text) == [
        'He said "Stop."',
        "Then he left.",
        "(See above.)",
        "She said \u201cNo!\u201d",
        "This is **bold.**",
        "End.",
    ]


def test_a_lowercase_word_after_the_stop_continues_the_sentence() -> None:
    assert sentences('"Hello!" he said. It worked.') == ['"Hello!" he said.', "It worked."]


def test_cjk_full_stops_need_no_space() -> None:
    text = "你好。我很好！谢谢？他说：「好的。」然后走了。"
    assert sentences(text) == ["你好。", "我很好！", "谢谢？", "他说：「好的。」", "然后走了。"]


def test_mixed_scripts() -> None:
    text = "今日は晴れ。 The weather is nice. 明日は？Rain."
    assert sentences(text) == ["今日は晴れ。", "The weather is nice.", "明日は？", "Rain."]


def test_a_blank_line_ends_a_sentence_even_without_punctuation() -> None:
    text = "# Title\n\nFirst line\nsame sentence.\r\n\r\n- a list item\n- another\n\nLast"
    assert sentences(text) == [
        "# Title",
        "First line\nsame sentence.",
        "- a list item\n- another",
        "Last",
    ]


def test_crlf_split_across_chunks_is_one_line_break_not_a_blank_line() -> None:
    assert split(Sentences, ["One\r", "\ntwo"]) == ["One\r\ntwo"]
    assert split(Sentences, ["One\r", "\n\r", "\ntwo"]) == ["One", "two"]
    assert split(Sentences, ["One.\r", "\n", "Two."]) == ["One.", "Two."]


def test_a_sentence_comes_out_when_the_next_character_shows_it_ended() -> None:
    splitter = Sentences()
    assert splitter.feed("It is done.") == []
    assert splitter.feed("  ") == []
    assert splitter.feed("N") == ["It is done."]
    assert splitter.feed("ext one. but") == []  # lowercase: not an end
    assert splitter.feed(" more") == []
    assert splitter.close() == ["Next one. but more"]


def test_cjk_sentence_comes_out_at_the_next_character() -> None:
    splitter = Sentences()
    assert splitter.feed("你好。") == []  # a closing bracket may still follow
    assert splitter.feed("」") == []
    assert splitter.feed("我") == ["你好。」"]


def test_the_last_partial_sentence_comes_out_at_close() -> None:
    splitter = Sentences()
    assert splitter.feed("Done. And then") == ["Done."]
    assert splitter.close() == ["And then"]
    assert splitter.close() == []


def test_whitespace_only_and_empty_text() -> None:
    assert sentences("") == []
    assert sentences(" \n\n\t ") == []


def test_long_words_are_never_taken_for_abbreviations() -> None:
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    assert sentences(f"It is {word}. Next.") == [f"It is {word}.", "Next."]
    assert sentences(f"{word}Dr. Next.") == [f"{word}Dr.", "Next."]


def test_sentences_by_model_tokens() -> None:
    text = (
        "Sure! Here is the plan. First, install Python 3.12 (e.g. from python.org). "
        'Then run "pip install midstream." That\'s it... Mostly.\n\n'
        "## Notes\nSee Dr. Lee's guide, p. 4. 完成了。"
    )
    assert sentences(text) == [
        "Sure!",
        "Here is the plan.",
        "First, install Python 3.12 (e.g. from python.org).",
        'Then run "pip install midstream."',
        "That's it... Mostly.",
        "## Notes\nSee Dr. Lee's guide, p. 4.",
        "完成了。",
    ]


def test_sentence_length_limit_position() -> None:
    with pytest.raises(LimitExceededError) as info:
        split(lambda: Sentences(max_length=10), ["Short. A much\nlon", "ger one."])
    assert (info.value.kind, info.value.offset, info.value.line, info.value.column) == (
        ErrorKind.SIZE_LIMIT, 17, 2, 4,
    )  # fmt: skip


def test_public_names() -> None:
    assert midstream.Lines is Lines and midstream.Words is Words
    assert midstream.Sentences is Sentences
    assert midstream.DEFAULT_MAX_UNIT_LENGTH >= 500_000
    with pytest.raises(ValueError):
        Sentences(max_length=0)
