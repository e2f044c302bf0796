"""Language names as code fences spell them: aliases, and a file extension for each.

A model writes ```` ```py ````, ```` ```python ```` or ```` ```Python3 ```` for the
same language, so ``CodeBlocks(languages=...)`` compares names by language,
not by spelling. The names and aliases are GitHub linguist's
(``lib/linguist/languages.yml``: the language name, lowercased, and its
``aliases``), for the languages models write most, plus a few spellings
linguist leaves out but models use (``kt``, ``cs``, ``py3``, ``yml``).
A name not in the table stands only for itself.
"""

from __future__ import annotations

from typing import Final

#: (linguist name, its aliases, the file extension ``midstream code --out`` uses).
_TABLE: Final[tuple[tuple[str, tuple[str, ...], str], ...]] = (
    ("python", ("py", "python3", "py3", "rusthon"), "py"),
    ("javascript", ("js", "node", "nodejs", "mjs", "cjs"), "js"),
    ("typescript", ("ts",), "ts"),
    ("tsx", (), "tsx"),
    ("jsx", (), "jsx"),
    ("shell", ("sh", "bash", "zsh", "shell-script", "ksh", "envrc"), "sh"),
    ("shellsession", ("console", "shell-session"), "txt"),
    ("powershell", ("ps1", "pwsh", "posh"), "ps1"),
    ("yaml", ("yml",), "yaml"),
    ("toml", (), "toml"),
    ("json", ("geojson", "topojson"), "json"),
    ("jsonl", (), "jsonl"),
    ("markdown", ("md", "pandoc"), "md"),
    ("html", ("xhtml",), "html"),
    ("css", (), "css"),
    ("xml", ("rss", "xsd", "wsdl"), "xml"),
    ("sql", (), "sql"),
    ("ruby", ("rb", "jruby", "macruby", "rake", "rbx"), "rb"),
    ("rust", ("rs",), "rs"),
    ("go", ("golang",), "go"),
    ("c", (), "c"),
    ("c++", ("cpp",), "cpp"),
    ("c#", ("csharp", "cs", "cake", "cakescript"), "cs"),
    ("java", (), "java"),
    ("kotlin", ("kt",), "kt"),
    ("swift", (), "swift"),
    ("php", ("inc",), "php"),
    ("perl", ("cperl",), "pl"),
    ("lua", (), "lua"),
    ("r", ("rscript", "splus"), "r"),
    ("scala", (), "scala"),
    ("haskell", ("hs",), "hs"),
    ("objective-c", ("obj-c", "objc", "objectivec"), "m"),
    ("diff", ("udiff",), "diff"),
    ("dockerfile", ("containerfile",), "dockerfile"),
    ("makefile", ("bsdmake", "make", "mf"), "mk"),
    ("text", ("fundamental", "plaintext", "txt"), "txt"),
)

_CANONICAL: Final = {alias: name for name, aliases, _ in _TABLE for alias in (name, *aliases)}
_EXTENSION: Final = {name: ext for name, _, ext in _TABLE}

#: The longest file extension made from an unknown language's name.
MAX_EXTENSION: Final = 16


def canonical(name: str) -> str:
    """The language ``name`` (a fence's first word, any case) stands for, lowercased."""
    lowered = name.lower()
    return _CANONICAL.get(lowered, lowered)


def extension(name: str | None) -> str:
    """A safe file extension for code in language ``name``: never a path, never long.

    A known language gets its usual extension; an unknown one its own name
    if that is at most ``MAX_EXTENSION`` ASCII letters, digits, ``-`` and
    ``_``; anything else (no language, a long or odd info string) ``txt``.
    """
    if not name:
        return "txt"
    lang = canonical(name)
    known = _EXTENSION.get(lang)
    if known is not None:
        return known
    if (
        len(lang) <= MAX_EXTENSION
        and lang.isascii()
        and lang.replace("-", "").replace("_", "").isalnum()
    ):
        return lang
    return "txt"
