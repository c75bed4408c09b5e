import json

import pytest

from safepost.core import RegionsFileError
from safepost.decide.regions import load_edits, parse_edits


def test_valid_file_with_file_and_frame_filters(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps(
            {
                "regions": [
                    {"x": 10, "y": 20, "width": 30, "height": 40, "label": "tattoo"},
                    {"x": 0, "y": 0, "width": 5, "height": 5, "file": "other.jpg"},
                    {"x": 1, "y": 1, "width": 5, "height": 5, "frame": 1},
                ],
                "ignore": ["f2"],
            }
        )
    )
    edits = load_edits(path)
    assert edits.ignore == ["f2"]
    frame0 = edits.regions_for("photo.jpg", 0, 2, 100, 100)
    assert [(r.x0, r.y0, r.x1, r.y1, r.label) for r in frame0] == [(10, 20, 40, 60, "tattoo")]
    assert len(edits.regions_for("photo.jpg", 1, 2, 100, 100)) == 2
    assert len(edits.regions_for("other.jpg", 0, 2, 100, 100)) == 2
    with pytest.raises(RegionsFileError, match="frame 1"):
        edits.regions_for("still.jpg", 0, 1, 100, 100)


def test_a_bare_list_is_accepted_and_regions_are_clipped():
    edits = parse_edits([{"x": 90, "y": 90, "width": 50, "height": 50}])
    (region,) = edits.regions_for("a.png", 0, 1, 100, 100)
    assert (region.x1, region.y1) == (100, 100)


@pytest.mark.parametrize(
    "doc",
    [
        "not json",
        '"text"',
        '{"regions": {}}',
        '{"regions": [{"x": 1, "y": 1, "width": 2}]}',
        '{"regions": [{"x": -1, "y": 1, "width": 2, "height": 2}]}',
        '{"regions": [{"x": 1, "y": 1, "width": 0, "height": 2}]}',
        '{"regions": [{"x": true, "y": 1, "width": 2, "height": 2}]}',
        '{"regions": [{"x": "1", "y": 1, "width": 2, "height": 2}]}',
        '{"regions": [{"x": 1, "y": 1, "width": 2, "height": 2, "colour": "red"}]}',
        '{"regions": [{"x": 1, "y": 1, "width": 2, "height": 2, "frame": -1}]}',
        '{"regions": [], "ignore": [3]}',
        '{"regions": [], "extra": 1}',
    ],
)
def test_malformed_files_get_a_clear_error(tmp_path, doc):
    path = tmp_path / "r.json"
    path.write_text(doc)
    with pytest.raises(RegionsFileError):
        load_edits(path)


def test_missing_file_and_region_outside_image(tmp_path):
    with pytest.raises(RegionsFileError, match="cannot read"):
        load_edits(tmp_path / "nope.json")
    edits = parse_edits({"regions": [{"x": 500, "y": 1, "width": 2, "height": 2}]})
    with pytest.raises(RegionsFileError, match="outside"):
        edits.regions_for("a.png", 0, 1, 100, 100)
