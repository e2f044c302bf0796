"""The schema of the bundled demo stream, with one field invalid on purpose.

The demo document (``midstream/data/demo_stream.json``) says ``"stars": 0``;
this model wants ``stars > 0``, so the page shows that field, and the root
that holds it, failing validation while every other field validates.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["DemoFeature", "DemoProject"]


class DemoFeature(BaseModel):
    """One feature of the project."""

    name: str
    parser: str
    detail: str = Field(max_length=300)


class DemoProject(BaseModel):
    """The project the demo answer describes."""

    name: str
    tagline: str = Field(max_length=80)
    summary: str
    install: str = Field(pattern=r"^pip install ")
    python: str
    runtime_dependencies: list[str]
    sans_io: bool
    features: list[DemoFeature]
    example: str
    stars: int = Field(gt=0)
    license: str
