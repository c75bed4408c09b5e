"""How much picture the face search may cover in one input, so that every accepted input ends in
bounded time.

The detectors cost about a second of CPU per million pixels (thorough mode, on top of a fixed cost
per picture), whatever the file's size on disk: a 1 MB GIF of 10,000 frames or a PDF of 500 pages
would keep ``redact`` busy for many minutes. Before any face is searched, a multi-frame photo or a
PDF is refused (:class:`~safepost.core.TooLargeError`, exit 5) when it holds more than
``MAX_SEARCH_FRAMES`` pictures or ``MAX_SEARCH_PIXELS`` pixels in all (a 100-page A4 PDF at 150 dpi
is 217 million: about 2 to 3 minutes on two cores). Videos are searched on keyframes only and
are not counted here.
"""

from __future__ import annotations

from safepost.core import TooLargeError

MAX_SEARCH_FRAMES = 200
MAX_SEARCH_PIXELS = 250_000_000

_WHAT_TO_DO = {
    "page": "split the PDF into parts of at most {frames} pages (for example `qpdf --split-pages={frames} IN.pdf "
    "part.pdf`) or render it at a lower resolution, and redact each part",
    "frame": "convert a long animation to a video (safepost reads a video's frames one at a time and searches "
    "keyframes only), or cut it into shorter ones",
}


def check_search(name: str, sizes: list[tuple[int, int]], what: str = "frame") -> None:
    """Refuse ``name`` when its pictures (width, height each) are more than the face search may cover."""
    todo = _WHAT_TO_DO[what].format(frames=MAX_SEARCH_FRAMES)
    if len(sizes) > MAX_SEARCH_FRAMES:
        raise TooLargeError(
            f"{name} has {len(sizes):,} {what}s; faces are searched in at most {MAX_SEARCH_FRAMES:,} {what}s "
            f"of one file, so that every file finishes in a few minutes: {todo}."
        )
    total = sum(w * h for w, h in sizes)
    if total > MAX_SEARCH_PIXELS:
        raise TooLargeError(
            f"{name} has {total:,} pixels in its {len(sizes):,} {what}s; faces are searched in at most "
            f"{MAX_SEARCH_PIXELS:,} pixels of one file, so that every file finishes in a few minutes: {todo}."
        )
