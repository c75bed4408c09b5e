"""``review.yaml``: what a reviewer decided about a post's detections (keep, add, drop, link names)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Box(BaseModel):
    """Pixels of the upright image: left, top, right, bottom."""

    model_config = ConfigDict(extra="forbid")

    media: str
    box: list[int] | None = Field(None, min_length=4, max_length=4)
    region: str | None = Field(None, description="A detection id from the check report, e.g. f2.")

    @model_validator(mode="after")
    def _where(self):
        if self.box is None and self.region is None:
            raise ValueError("give a region id or a box [x0, y0, x1, y1]")
        if self.box is not None and (self.box[2] <= self.box[0] or self.box[3] <= self.box[1]):
            raise ValueError(f"box {self.box} is empty: use [left, top, right, bottom]")
        return self


class Keep(Box):
    """Leave this face visible because this person consented (checked against the registry)."""

    person_id: str = Field(min_length=1)


class Add(Box):
    """Mask this area too (a tattoo, a sign, a face the detector missed)."""

    label: str = "manual"


class Drop(Box):
    """This detection is not a face (a poster, a statue): leave it unmasked."""


class NameLink(BaseModel):
    """Which registry person a name mention in the text is, or ``person_id: null`` for nobody in it."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    person_id: str | None


class Review(BaseModel):
    """Everything a reviewer decided. An empty review masks every face."""

    model_config = ConfigDict(extra="forbid")

    keep: list[Keep] = Field(default_factory=list)
    add: list[Add] = Field(default_factory=list)
    drop: list[Drop] = Field(default_factory=list)
    names: list[NameLink] = Field(default_factory=list)
