"""Face tracks across a video, built from detections on keyframes.

Faces are detected on keyframes only (every ``stride`` frames, and on the first frame of each
scene). Boxes are linked from keyframe to keyframe after moving them with the camera motion
(``motion.py``) and matching by overlap. A face's box on any frame comes from its nearest
detections, carried along with the camera and blended from both sides; each track also
covers a few frames before its first and after its last detection, and across keyframes
where the detector missed it, so that no face shows in a single frame. The further a frame
is from a detection, the larger its mask.

NO PHOTO tags and text lines seen on the frames searched for them are :class:`Sighting` s. A tag
worn by someone is tied to that person's track (:meth:`VideoTracks.bind`), so the wearer and the
tag stay masked on every frame of the track, before and after the frames where the tag was read;
anything else is masked on the frames around its sighting, carried along with the camera.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from safepost.core import Region
from safepost.detect.faces import iou_matrix
from safepost.detect.motion import IDENTITY, Step, camera_speed, compose, invert, warp_box
from safepost.detect.tags import HEAD_GROW, bind_box, unbound_area

Box = tuple[float, float, float, float]


@dataclass
class Track:
    """One face followed through one scene: its detections by keyframe index."""

    id: str
    scene: int
    keyframes: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)  # (x0, y0, x1, y1, score) per keyframe
    #: ids of the fragments joined into this track after linking (:meth:`VideoTracks._join`), in order
    joined: list[str] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.keyframes[0]

    @property
    def last(self) -> int:
        return self.keyframes[-1]

    @property
    def best_score(self) -> float:
        return float(max(b[4] for b in self.boxes))


@dataclass
class Sighting:
    """A NO PHOTO tag (kind ``nophoto_tag``, or ``unread_tag`` for a tag too small to read) or a
    line of text (``text``) seen on one searched frame, in that frame's pixels.

    ``face_hint`` is the face box it was found under (a second look), if any. :meth:`VideoTracks.bind`
    sets ``track`` (the wearer's track) and ``offset`` (the tag box relative to the wearer's box, in
    box widths and heights) for tags someone wears.
    """

    frame: int
    kind: str
    box: Box
    text: str = ""
    found_by: str = ""
    face_hint: Box | None = None
    track: str | None = None
    offset: Box | None = None

    @property
    def is_tag(self) -> bool:
        return self.kind in ("nophoto_tag", "unread_tag")


@dataclass
class TrackSettings:
    """How far tracks reach beyond their detections (in frames) and how they are linked."""

    pad: int = 4  # frames covered before the first and after the last detection
    max_gap: int = 9  # interpolate across missed detections up to this many frames
    match_iou: float = 0.25
    #: a track seen on one keyframe only, scoring under this, is probably a false alarm: it is
    #: masked on its keyframe and the frames next to it only (``unconfirmed_pad``)
    confirm_score: float = 0.3
    unconfirmed_pad: int = 1
    #: leave unconfirmed tracks unmasked altogether (they are almost all false alarms)
    drop_unconfirmed: bool = False
    growth_per_frame: float = 0.04  # extra margin per frame away from a detection, of the box size
    max_growth: float = 0.3
    #: stretch masks along a fast camera move by this fraction of its per-frame shift on each side
    blur_growth: float = 0.0
    #: join fragments of one face after linking: a track ending at most ``join_gap`` frames before
    #: another starts, where the camera motion carries its last box onto the other's first (overlap
    #: ``join_iou``, or centres ``join_distance`` box sizes apart), of a similar size (``join_size_ratio``),
    #: and only when no other fragment is nearly as close (``join_separation`` box sizes further at
    #: least): when in doubt, the fragments stay two tracks, each masked. 0 turns joining off.
    join_gap: int = 0
    join_iou: float = 0.2
    join_distance: float = 1.0
    join_size_ratio: float = 1.6
    join_separation: float = 0.35
    #: ... and when both pieces move alike: their own motions (the camera's taken out) differ by at
    #: most this many box sizes a frame
    join_speed: float = 0.1
    #: ``safepost tracks`` lists the tracks a person can choose: seen on this many keyframes, with a
    #: best score this high; the others (short or faint) are only counted, and always masked
    list_min_detections: int = 1
    list_min_score: float = 0.0


class VideoTracks:
    """Camera motion, scenes and face tracks of a whole video; boxes for any frame."""

    def __init__(
        self,
        steps: list[Step],
        detections: dict[int, np.ndarray],
        settings: TrackSettings,
        frame_size: tuple[int, int] | None = None,
    ):
        self.settings = settings
        #: (width, height) of the frames, when known: a box cut by the picture's edge is never used to
        #: join fragments (its centre is not the face's)
        self.frame_size = frame_size
        self._motion_cache: dict[tuple[int, int], np.ndarray] = {}
        self.n_frames = len(steps)
        self._speed = camera_speed(steps)  # (|dx|, |dy|) per frame, for blur_growth
        self.scene_of: list[int] = []
        self._to_scene: list[np.ndarray] = []  # per frame: scene-start coordinates -> frame coordinates
        scene, acc = -1, IDENTITY.copy()
        for step in steps:
            if step.cut or scene < 0:
                scene, acc = scene + 1, IDENTITY.copy()
            else:
                acc = compose(step.matrix, acc)
            self.scene_of.append(scene)
            self._to_scene.append(acc)
        self.tracks = self._join(self._link(detections))
        self.sightings: list[Sighting] = []
        #: NO PHOTO tracks: track id -> the sightings of the tags tied to it
        self.nophoto: dict[str, list[Sighting]] = {}
        self._loose: list[Sighting] = []  # sightings tied to no track, by frame
        self._loose_frames: list[int] = []
        #: every text line read on the searched frames (dicts, as for photos), and those frames
        self.texts: list[dict] = []
        self.searched: list[int] = []
        #: frames before and after its sighting that a loose tag or text line stays masked
        self.sighting_reach = 0
        self._by_frame: list[list[Track]] = [[] for _ in range(self.n_frames)]
        for track in self.tracks:
            if settings.drop_unconfirmed and not self.confirmed(track):
                continue
            lo, hi = self.reach(track)
            for frame in range(lo, hi + 1):
                self._by_frame[frame].append(track)

    def confirmed(self, track: Track) -> bool:
        return len(track.keyframes) > 1 or track.best_score >= self.settings.confirm_score

    def masked(self, track: Track) -> bool:
        """Whether redaction masks the track (unless kept): all but unconfirmed ones when those are dropped."""
        return not self.settings.drop_unconfirmed or self.confirmed(track)

    def listed(self, track: Track) -> bool:
        """Whether ``safepost tracks`` lists the track for a person to choose (long and clear enough);
        the others stay masked, like every track not kept."""
        s = self.settings
        return (
            self.confirmed(track)
            and len(track.keyframes) >= s.list_min_detections
            and track.best_score >= s.list_min_score
        )

    def reach(self, track: Track) -> tuple[int, int]:
        """First and last frame the track's mask covers."""
        pad = self.settings.pad if self.confirmed(track) else self.settings.unconfirmed_pad
        return max(0, track.first - pad), min(self.n_frames - 1, track.last + pad)

    def motion(self, a: int, b: int) -> np.ndarray:
        """Transform from frame ``a`` to frame ``b`` coordinates (same scene)."""
        key = (a, b)
        if key not in self._motion_cache:
            if len(self._motion_cache) > 4096:
                self._motion_cache.clear()
            self._motion_cache[key] = compose(self._to_scene[b], invert(self._to_scene[a]))
        return self._motion_cache[key]

    def _link(self, detections: dict[int, np.ndarray]) -> list[Track]:
        tracks: list[Track] = []
        open_tracks: list[Track] = []
        for key in sorted(detections):
            boxes = detections[key]
            scene = self.scene_of[key]
            open_tracks = [t for t in open_tracks if t.scene == scene and key - t.last <= self.settings.max_gap]
            matched: set[int] = set()
            if open_tracks and len(boxes):
                predicted = np.stack([warp_box(t.boxes[-1], self.motion(t.last, key)) for t in open_tracks])
                ious = iou_matrix(predicted, boxes)
                pairs = sorted(zip(*np.nonzero(ious >= self.settings.match_iou), strict=True), key=lambda p: -ious[p])
                used_tracks: set[int] = set()
                for ti, bi in pairs:
                    if ti in used_tracks or bi in matched:
                        continue
                    used_tracks.add(ti)
                    matched.add(bi)
                    open_tracks[ti].keyframes.append(key)
                    open_tracks[ti].boxes.append(boxes[bi])
            for bi in range(len(boxes)):
                if bi not in matched:
                    track = Track(id=f"t{len(tracks) + 1}", scene=scene, keyframes=[key], boxes=[boxes[bi]])
                    tracks.append(track)
                    open_tracks.append(track)
        return tracks

    def _join(self, tracks: list[Track]) -> list[Track]:
        """Join fragments of one face that linking left apart (a missed detection for longer than
        ``max_gap``, a fast pan where the measured camera motion drifts, a box that changed size).

        A fragment ``a`` ending before ``b`` starts (same scene, gap up to ``join_gap`` frames) is a
        candidate when ``a``'s last box, moved with the camera, lands on ``b``'s first one. Over a
        fast pan the measured motion drifts by a few percent, the same for the whole picture: the
        drift is measured from the fragments ending and starting on the same two keyframes (the
        shift most of them agree on, bounded by 5% of the camera's move) and taken out. A pair is
        joined only when each is the other's clear best: no other candidate of either lies within
        ``join_separation`` box sizes of it. Each fragment gets at most one predecessor and one
        successor, so a joined track is a chain of fragments, named by its first.
        """
        s = self.settings
        if s.join_gap <= 0 or len(tracks) < 2:
            return tracks
        # a fragment is placed by its last (first) box that the picture's edge does not cut, seen
        # while the camera was not moving fast
        ends: dict[int, list[tuple[Track, np.ndarray, bool]]] = {}
        starts: dict[int, list[tuple[Track, np.ndarray, bool]]] = {}
        for t in tracks:
            boxes = np.asarray(t.boxes, np.float64)
            inside = np.nonzero(~self._at_edge(boxes) & ~self._smeared(t.keyframes, boxes))[0]
            i = int(inside[-1]) if len(inside) else len(boxes) - 1
            ends.setdefault(t.keyframes[i], []).append((t, boxes[i], bool(len(inside)), self._velocity(t, i, i - 1)))
            i = int(inside[0]) if len(inside) else 0
            starts.setdefault(t.keyframes[i], []).append((t, boxes[i], bool(len(inside)), self._velocity(t, i, i + 1)))
        candidates: list[tuple[float, Track, Track, bool]] = []  # (cost, a, b, joinable)
        for a_key, enders in ends.items():
            later = [
                (b_key, starters)
                for b_key, starters in sorted(starts.items())
                if 0 < b_key - a_key <= s.join_gap and self.scene_of[a_key] == self.scene_of[b_key]
            ]
            if later:
                candidates += self._join_candidates(enders, later, a_key)
        # a pair is joined only when each is the other's clear best: every other candidate of
        # either (its rivals) is join_separation box sizes further, unless that rival is the same
        # face again (a fragment overlapping the chosen one in time, on the same spot)
        after: dict[str, list[tuple[float, Track]]] = {}
        before: dict[str, list[tuple[float, Track]]] = {}
        for cost, a, b, _ in candidates:
            after.setdefault(a.id, []).append((cost, b))
            before.setdefault(b.id, []).append((cost, a))

        def clear(rivals: list[tuple[float, Track]], cost: float, chosen: Track) -> bool:
            return all(
                c >= cost + s.join_separation or self._same_face(chosen, other)
                for c, other in rivals
                if other is not chosen
            )

        following: dict[str, Track] = {}
        preceded: set[str] = set()
        for cost, a, b, joinable in sorted(candidates, key=lambda c: c[0]):
            if not joinable or a.id in following or b.id in preceded:
                continue
            if clear(after[a.id], cost, b) and clear(before[b.id], cost, a):
                following[a.id] = b
                preceded.add(b.id)
        out = []
        for t in tracks:
            if t.id in preceded:
                continue
            nxt = following.get(t.id)
            while nxt is not None:
                t.keyframes += nxt.keyframes
                t.boxes += nxt.boxes
                t.joined.append(nxt.id)
                nxt = following.get(nxt.id)
            out.append(t)
        return out

    def _join_candidates(
        self, enders: list[tuple[Track, np.ndarray, bool]], later: list[tuple[int, list]], a_key: int
    ) -> list[tuple[float, Track, Track, bool]]:
        """(cost, a, b, joinable) for fragments ``a`` placed on keyframe ``a_key`` (``enders``: each
        with its last box the picture's edge does not cut, and whether it has one) and ``b`` placed
        on a later keyframe (``later``: keyframe, fragments with their first such box), ``b`` starting
        at most ``join_gap`` frames after ``a`` ends: the distance between the centres of ``a``'s box
        moved to ``b``'s keyframe and ``b``'s box, in box sizes, after taking out the drift of the
        camera motion; joinable when they overlap by ``join_iou`` or lie ``join_distance`` apart at
        most, and neither box is cut by the edge (the others are rivals that make a join doubtful)."""
        s = self.settings
        last = np.stack([box for _, box, _, _ in enders])
        a_last = np.array([t.last for t, _, _, _ in enders])
        a_whole = np.array([whole for _, _, whole, _ in enders])
        a_speed = np.stack([v for _, _, _, v in enders])
        groups = []  # per later keyframe: moved, first, offset, size, similar
        pool, scale, shift = [], [], 0.0
        for b_key, placed in later:
            motion = self.motion(a_key, b_key)
            shift = max(shift, float(np.abs(motion[:, 2]).max()))
            moved = np.stack([warp_box(box, motion) for box in last])
            first = np.stack([box for _, box, _, _ in placed])
            starters = [t for t, _, _, _ in placed]
            gap = np.array([t.first for t in starters])[None] - a_last[:, None]
            valid = (gap > 0) & (gap <= s.join_gap)
            whole = a_whole[:, None] & np.array([w for _, _, w, _ in placed])[None]
            size_a = np.sqrt(np.maximum((moved[:, 2] - moved[:, 0]) * (moved[:, 3] - moved[:, 1]), 1e-6))
            size_b = np.sqrt(np.maximum((first[:, 2] - first[:, 0]) * (first[:, 3] - first[:, 1]), 1e-6))
            size = np.maximum(size_a[:, None], size_b[None])
            similar = valid & (size / np.minimum(size_a[:, None], size_b[None]) <= s.join_size_ratio)
            # people walking: the two pieces must move alike (each one's own motion, the camera's
            # taken out); someone walking the other way who ends up on the spot is someone else
            b_speed = np.stack([v for _, _, _, v in placed])
            change = np.hypot(*(a_speed[:, None] - b_speed[None]).transpose(2, 0, 1))
            similar &= ~(change > s.join_speed * size)  # unknown (NaN) speeds do not veto
            offset = ((first[:, :2] + first[:, 2:4]) / 2)[None] - ((moved[:, :2] + moved[:, 2:4]) / 2)[:, None]
            groups.append((starters, moved, first, offset, size, similar, whole))
        # the drift of the measured camera motion (a fast pan): the shift most pairs of similar
        # fragments agree on, at most 5% of the camera's move plus half a face
        bound = 0.05 * shift + 0.5 * float(np.median(np.concatenate([g[4].ravel() for g in groups])))
        for _, _, _, offset, size, similar, _ in groups:
            near = similar & (np.hypot(offset[..., 0], offset[..., 1]) <= bound + size)
            pool.append(offset[near])
            scale.append(size[near])
        pool, scale = np.concatenate(pool), np.concatenate(scale)
        drift = np.zeros(2)
        if len(pool) >= 3:
            support = [int((np.hypot(*(pool - p).T) <= 0.35 * scale).sum()) for p in pool]
            top = int(np.argmax(support))
            agree = np.hypot(*(pool - pool[top]).T) <= 0.35 * scale
            if support[top] >= 3 and np.hypot(*np.median(pool[agree], axis=0)) <= bound:
                drift = np.median(pool[agree], axis=0)
        out = []
        for starters, moved, first, offset, size, similar, whole in groups:
            corrected = moved.copy()
            corrected[:, [0, 2]] += drift[0]
            corrected[:, [1, 3]] += drift[1]
            ious = iou_matrix(corrected[:, :4], first[:, :4])
            cost = np.hypot(offset[..., 0] - drift[0], offset[..., 1] - drift[1]) / size
            joinable = similar & whole & ((ious >= s.join_iou) | (cost <= s.join_distance))
            # rivals: anything near enough to make a join doubtful (joinable or not)
            rival = similar & (cost <= s.join_distance + s.join_separation)
            out += [
                (float(cost[i, j]), enders[i][0], starters[j], bool(joinable[i, j]))
                for i, j in zip(*np.nonzero(joinable | rival), strict=True)
            ]
        return out

    def _velocity(self, track: Track, i: int, j: int) -> np.ndarray:
        """The face's own motion (pixels a frame, the camera's taken out) between its detections ``i``
        and ``j`` (NaN when there is no detection ``j``), in detection ``i``'s frame."""
        if not 0 <= j < len(track.keyframes):
            return np.full(2, np.nan)
        a, b = track.keyframes[i], track.keyframes[j]
        here = np.asarray(track.boxes[i], np.float64)
        there = warp_box(track.boxes[j], self.motion(b, a))
        return ((here[:2] + here[2:4]) - (there[:2] + there[2:4])) / 2 / (a - b)

    def _same_face(self, track: Track, other: Track) -> bool:
        """Whether ``other`` is on ``track``'s face where they meet: ``track`` covers one of ``other``'s
        detections (or ``other`` one of ``track``'s) with a box overlapping it by half."""
        for a, b in ((track, other), (other, track)):
            for key, box in zip(b.keyframes, b.boxes, strict=True):
                if a.first <= key <= a.last:
                    found = self.box_at(a, key)
                    if (
                        found is not None
                        and iou_matrix(found[0][None, :4], np.asarray(box, np.float64)[None, :4])[0, 0] >= 0.5
                    ):
                        return True
        return False

    def _smeared(self, keyframes: list[int], boxes: np.ndarray) -> np.ndarray:
        """Which boxes were found while the camera moved by over half a face a frame (smeared by the
        motion: the box may be the smear, not the face)."""
        size = np.sqrt(np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1.0))
        return self._speed[keyframes].max(axis=1) > 0.5 * size

    def _at_edge(self, boxes: np.ndarray, margin: float = 2.0) -> np.ndarray:
        """Which boxes touch the picture's edge (or lie beyond it): part of the face may be outside."""
        out = (boxes[:, 0] <= margin) | (boxes[:, 1] <= margin)
        if self.frame_size is not None:
            width, height = self.frame_size
            out |= (boxes[:, 2] >= width - margin) | (boxes[:, 3] >= height - margin)
        return out

    def box_at(self, track: Track, frame: int) -> tuple[np.ndarray, int] | None:
        """The track's box on ``frame`` and its distance in frames to a detection, or None."""
        if self.scene_of[frame] != track.scene:
            return None
        s = self.settings
        i = bisect.bisect_left(track.keyframes, frame)
        if i < len(track.keyframes) and track.keyframes[i] == frame:
            return track.boxes[i], 0
        before = i - 1 if i > 0 else None
        after = i if i < len(track.keyframes) else None
        if before is not None and after is not None and track.keyframes[after] - track.keyframes[before] <= s.max_gap:
            a, b = track.keyframes[before], track.keyframes[after]
            wa = warp_box(track.boxes[before], self.motion(a, frame))
            wb = warp_box(track.boxes[after], self.motion(b, frame))
            t = (frame - a) / (b - a)
            return (1 - t) * wa + t * wb, min(frame - a, b - frame)
        pad = s.pad if self.confirmed(track) else s.unconfirmed_pad
        if before is not None and frame - track.keyframes[before] <= pad:
            a = track.keyframes[before]
            return warp_box(track.boxes[before], self.motion(a, frame)), frame - a
        if after is not None and track.keyframes[after] - frame <= pad:
            b = track.keyframes[after]
            return warp_box(track.boxes[after], self.motion(b, frame)), b - frame
        return None

    def regions(self, frame: int, skip: set[str] = frozenset()) -> list[Region]:
        """Face regions to mask on ``frame`` (tracks in ``skip`` left out)."""
        s = self.settings
        out = []
        for track in self._by_frame[frame]:
            if track.id in skip or track.scene != self.scene_of[frame]:
                continue
            found = self.box_at(track, frame)
            if found is None:
                continue
            box, distance = found
            grow = min(s.max_growth, s.growth_per_frame * distance)
            w, h = box[2] - box[0], box[3] - box[1]
            bx, by = s.blur_growth * self._speed[frame]
            out.append(
                Region(
                    id=track.id,
                    kind="face",
                    x0=float(box[0] - grow * w - bx),
                    y0=float(box[1] - grow * h - by),
                    x1=float(box[2] + grow * w + bx),
                    y1=float(box[3] + grow * h + by),
                    score=float(box[4]),
                    source="track",
                    frame=frame,
                    extra={"track": track.id, "detected": distance == 0},
                )
            )
        return out

    # -- NO PHOTO tags and text --------------------------------------------------------------------
    def faces_at(self, frame: int) -> list[Region]:
        """Every track's box on ``frame`` (unconfirmed tracks too), as face regions named by track."""
        out = []
        for track in self.tracks:
            if track.scene != self.scene_of[frame] or not track.first - self.settings.pad <= frame:
                continue
            if frame > track.last + self.settings.pad:
                continue
            found = self.box_at(track, frame)
            if found is not None:
                box = found[0]
                out.append(Region(track.id, "face", *map(float, box[:4]), score=float(box[4]), frame=frame))
        return out

    def bind(self, sightings: list[Sighting]) -> None:
        """Tie each tag to the face track wearing it (the face above it on its frame, or the face it
        was found under); keep the rest as loose sightings."""
        self.sightings = sorted(sightings, key=lambda s: s.frame)
        self.nophoto, self._loose = {}, []
        for s in self.sightings:
            wearer = None
            if s.is_tag:
                faces = self.faces_at(s.frame)
                wearer = bind_box(s.box, faces)
                if wearer is None and s.face_hint is not None:
                    wearer = _best_overlap(s.face_hint, faces)
            if wearer is None:
                self._loose.append(s)
                continue
            s.track = wearer.id
            fw, fh = max(wearer.width, 1.0), max(wearer.height, 1.0)
            s.offset = (
                (s.box[0] - wearer.x0) / fw,
                (s.box[1] - wearer.y0) / fh,
                (s.box[2] - wearer.x0) / fw,
                (s.box[3] - wearer.y0) / fh,
            )
            self.nophoto.setdefault(wearer.id, []).append(s)
        self._loose_frames = [s.frame for s in self._loose]

    def sighting_regions(self, frame: int, reach: int, width: int, height: int) -> list[Region]:
        """What the sightings mask on ``frame``: each NO PHOTO wearer's head and tag wherever its
        track is; loose tags (with the area above them) and text within ``reach`` frames of their
        sighting, moved with the camera."""
        out: list[Region] = []
        for track in self.tracks:
            tied = self.nophoto.get(track.id)
            if not tied:
                continue
            found = self.box_at(track, frame)
            if found is None:
                continue
            box = found[0]
            fw, fh = box[2] - box[0], box[3] - box[1]
            side, top, bottom = HEAD_GROW
            head = (box[0] - side * fw, box[1] - top * fh, box[2] + side * fw, box[3] + bottom * fh)
            sighting = min(tied, key=lambda s: abs(s.frame - frame))
            extra = {"nophoto": True, "track": track.id, "tag_text": sighting.text}
            out.append(_region(f"{track.id}-head", "nophoto_head", head, frame, width, height, extra))
            ox0, oy0, ox1, oy1 = sighting.offset or (0.0, 0.0, 0.0, 0.0)
            tag = (box[0] + ox0 * fw, box[1] + oy0 * fh, box[0] + ox1 * fw, box[1] + oy1 * fh)
            out.append(_region(f"{track.id}-tag", sighting.kind, tag, frame, width, height, extra))
        lo = bisect.bisect_left(self._loose_frames, frame - reach)
        hi = bisect.bisect_right(self._loose_frames, frame + reach)
        for s in self._loose[lo:hi]:
            if self.scene_of[s.frame] != self.scene_of[frame]:
                continue
            moved = warp_box(np.asarray(s.box, np.float64), self.motion(s.frame, frame))
            box = tuple(float(v) for v in moved[:4])
            extra = {"text": s.text, "seen_on": s.frame}
            out.append(_region(f"s{s.frame}", s.kind, box, frame, width, height, extra))
            if s.is_tag:  # nobody to tie it to: the area above it, where its wearer's head must be
                area = unbound_area(box, width, height)
                out.append(_region(f"s{s.frame}-area", "nophoto_area", area, frame, width, height, extra))
        return out


def _best_overlap(box: Box, faces: list[Region], min_iou: float = 0.3) -> Region | None:
    if not faces:
        return None
    ious = iou_matrix(np.asarray([box], np.float64), np.asarray([[f.x0, f.y0, f.x1, f.y1] for f in faces]))[0]
    i = int(np.argmax(ious))
    return faces[i] if ious[i] >= min_iou else None


def _region(rid: str, kind: str, box: tuple[float, ...], frame: int, width: int, height: int, extra: dict) -> Region:
    x0, y0, x1, y1 = box
    clipped = (max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1))
    return Region(rid, kind, *clipped, source="nophoto-track", frame=frame, extra=dict(extra))
