"""CodeBlocks: the fenced code blocks of a Markdown stream, as they stream.

The package follows CommonMark's own phases, one module each:

- ``_syntax``: the patterns of block starts and ends, info strings, tab columns;
- ``_classify``: a pure classifier, what one line is given the open blocks
  (match containers, continue the leaf, lazy continuation, open blocks): a
  plan, or "undecided from here" (a ``Cursor``);
- ``_lines``: the current line, its start held while it could be a fence
  line (``max_hold``, the cursor), or kept once released as prose;
- ``_output``: the events, the language filter and the JSON of ``json`` blocks;
- ``_blocks``: :class:`CodeBlocks`, which feeds the lines through all of it.

Why this is a block parser and not a search for three backticks
----------------------------------------------------------------

Whether a line of backticks opens or closes a block depends on what the lines
before it built: a fence inside an HTML block or an indented code block is
text, a fence inside a list item only closes the block when it is indented
into that item, a line without ``>`` ends a block quote (and the code block
in it), and a ``2.`` cannot start a list inside a paragraph. So this module
runs the block phase of the CommonMark algorithm (the spec's appendix "A
parsing strategy", as cmark does it), one line at a time, and keeps only
what the next line needs: the open block quotes and list items, and the kind
of the open leaf block (paragraph, fenced code, indented code, HTML block).
Inline parsing, link definitions and the list/loose bookkeeping play no part
in where fences are, so they are not done.

Where cmark and markdown-it-py (the test oracle) differ, this follows
markdown-it-py: a ``>`` continues a block quote at any indentation, an HTML
block of kind 7 never starts on a line that could be a lazy paragraph
continuation, whether a line is a lazy continuation is decided as its block
quote pre-pass and paragraph rule decide it (``_classify._ends_paragraph``), a fence's
content lines lose up to the fence line's indentation in columns (blank lines
too), and a last line with no line ending that is blank after its container
markers is not part of a block.

Known differences from markdown-it-py, all far from what models write:

- a tab after a list marker inside nested block quotes: markdown-it counts
  its tab stop from the outer quote's content, this module from the line
  start (CommonMark's rule);
- markdown-it stops parsing 20 containers deep; this module goes on to
  ``max_nesting`` and then raises;
- a line longer than ``max_hold`` characters is never a fence line: one
  whose first ``max_hold + 1`` characters leave it undecided (a run of
  backticks, an info string, a closing fence's trailing spaces, container
  markers or indentation a fence may still follow) is taken there for what it
  would be if it ended there, a fence excluded: text, or a code line of the
  open block;
- a prose line longer than ``max_hold`` is judged at its end (blank, setext
  underline, thematic break, HTML block start) on its first ``max_hold``
  characters and the rest with runs cut to 3 characters, if that is at most
  64 characters; so an HTML tag longer than that alone on its line does not
  start an HTML block;
- markdown-it turns U+0000 into U+FFFD and every line ending into ``\n``;
  this module keeps the text as it came.

Rule 1: text is released as soon as it cannot be part of a fence line. A
partial line is held only while it could still become an opening or closing
fence (the classifier returns a ``Cursor``), and for at most ``max_hold`` characters;
then the rest of the line streams out as it arrives and its effect on the
block structure is applied at its line end. Each later scan of a held line
start goes on from where the last one stopped (its ``Cursor``), and text that
keeps it undecided for the same reason (``Cursor.hold``) is not scanned at all,
so a line start fed one character at a time costs no more than fed whole.

Rule 2: every input character comes out exactly once, in order, in one of
``TextDelta.text``, ``CodeBlockStart.fence``, ``CodeDelta.raw`` and
``CodeBlockDone.fence``.

Spec: https://spec.commonmark.org/0.31.2/#fenced-code-blocks and
https://spec.commonmark.org/0.31.2/#appendix-a-parsing-strategy
"""

from __future__ import annotations

from ._blocks import DEFAULT_MAX_HOLD, DEFAULT_MAX_NESTING, CodeBlocks

__all__ = ["DEFAULT_MAX_HOLD", "DEFAULT_MAX_NESTING", "CodeBlocks"]
