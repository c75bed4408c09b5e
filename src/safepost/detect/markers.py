"""The NO PHOTO badge's marker, shared by the badge maker (``consent.badges``) and the detector.

One place for the ArUco dictionary, the marker id and the badge's size around its marker, so a
printed badge and the detector that looks for it can never disagree.
"""

from __future__ import annotations

#: The ArUco dictionary of the markers (OpenCV name; ``cv2.aruco.DICT_4X4_50``).
MARKER_DICTIONARY = "DICT_4X4_50"
#: Marker id printed on NO PHOTO tags. No other id is used by safepost badges.
NO_PHOTO_MARKER_ID = 7
#: Printed sizes, in millimetres: the badge (width, height) and the marker's side.
BADGE_MM = (90.0, 55.0)
MARKER_MM = 38.0
#: The marker sits at the same distance from the badge's left, top and bottom edges.
MARKER_MARGIN_MM = (BADGE_MM[1] - MARKER_MM) / 2
#: The badge around its marker, in marker sides: (left, top, right, bottom) from the marker's
#: top-left corner.
BADGE_FROM_MARKER = (
    -MARKER_MARGIN_MM / MARKER_MM,
    -MARKER_MARGIN_MM / MARKER_MM,
    (BADGE_MM[0] - MARKER_MARGIN_MM) / MARKER_MM,
    (BADGE_MM[1] - MARKER_MARGIN_MM) / MARKER_MM,
)
