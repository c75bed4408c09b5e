"""Mask options (style, shape, margins) as plain data, free of heavy imports."""

from __future__ import annotations

from dataclasses import dataclass

from safepost.core import SafepostError

SAFE_STYLES = ("solid", "noise", "mosaic")
#: stylised looks (docs/stylise.md): faces are masked solid first, then the picture is drawn over
STYLISED_STYLES = ("illustration", "silhouette", "avatar")
#: stylised looks that redraw the whole picture: photos only (per-frame redrawing would flicker in video)
PHOTO_ONLY_STYLES = ("illustration", "silhouette")
REVERSIBLE_STYLES = ("blur", "pixelate")
STYLES = SAFE_STYLES + STYLISED_STYLES + REVERSIBLE_STYLES
SHAPES = ("ellipse", "box")


@dataclass(frozen=True)
class MaskSpec:
    """How to draw masks: style, shape, margin (fraction of the region's size per side)."""

    style: str = "solid"
    shape: str = "ellipse"
    #: extra width added on the left and right, as a fraction of the region's width
    margin: float = 0.3
    #: extra height added above (hair) and below (chin, neck), as fractions of the height
    margin_top: float = 0.4
    margin_bottom: float = 0.3
    color: tuple[int, int, int] = (0, 0, 0)
    #: small, low-confidence detections are mostly false alarms in crowd texture: their
    #: margins are scaled by ``tight_factor`` so they blank less of the picture
    tight_score: float = 0.15
    tight_size: float = 32.0
    tight_factor: float = 2 / 3

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise SafepostError(f"unknown mask style '{self.style}'; choose one of {', '.join(STYLES)}")
        if self.shape not in SHAPES:
            raise SafepostError(f"unknown mask shape '{self.shape}'; choose one of {', '.join(SHAPES)}")
        if min(self.margin, self.margin_top, self.margin_bottom) < 0:
            raise SafepostError("mask margins cannot be negative")

    @property
    def reversible(self) -> bool:
        return self.style in REVERSIBLE_STYLES

    @property
    def stylised(self) -> bool:
        return self.style in STYLISED_STYLES
