import json
import shutil
import struct
import subprocess

import av
import numpy as np
import pytest

from safepost.core import OutputError
from safepost.media.mp4box import strip_user_data
from safepost.media.video import clean_video


def _tiny_video(path):
    with av.open(str(path), "w", format="mp4") as out:
        out.metadata["title"] = "secret meeting"
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), i * 40, np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def test_cleaned_mp4_has_no_user_data_box(tmp_path):
    src, dst = tmp_path / "in.mp4", tmp_path / "out.mp4"
    _tiny_video(src)
    assert b"udta" in src.read_bytes()  # FFmpeg's writer adds it; the check below can fail
    clean_video(src, dst)
    data = dst.read_bytes()
    assert b"udta" not in data and b"mdir" not in data and b"secret" not in data
    with av.open(str(dst)) as out:
        assert sum(1 for _ in out.decode(video=0)) == 5
    if shutil.which("exiftool"):
        tags = json.loads(subprocess.check_output(["exiftool", "-j", "-a", "-G1", str(dst)]))[0]
        assert not [k for k in tags if "Handler" in k and "Vendor" in k]


def test_malformed_or_fast_start_files_are_refused(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(struct.pack(">I4s", 100, b"moov") + b"\x00" * 10)
    with pytest.raises(OutputError):
        strip_user_data(bad)
    faststart = tmp_path / "fs.mp4"
    faststart.write_bytes(struct.pack(">I4s", 8, b"moov") + struct.pack(">I4s", 8, b"mdat"))
    with pytest.raises(OutputError, match="after the media"):
        strip_user_data(faststart)
