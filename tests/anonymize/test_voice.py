"""Voice disguise (safepost.anonymize.voice) and audio="disguise" in video transcoding."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from safepost.anonymize.voice import VoiceDisguiser, disguise
from safepost.media.video import transcode

SR = 48000


def vowel(seconds: float = 1.0, f0: float = 120.0, formants: tuple[float, ...] = (700, 1200, 2600)) -> np.ndarray:
    """A synthetic /a/: glottal pulses at a wavering F0 through formant resonators, float32 mono."""
    n = int(SR * seconds)
    t = np.arange(n) / SR
    phase = np.cumsum(f0 * (1 + 0.08 * np.sin(2 * np.pi * 1.5 * t)) / SR)
    source = np.diff(np.floor(phase), prepend=0.0)
    source = np.diff(np.convolve(source, np.exp(-np.arange(60) / 12.0))[:n], prepend=0.0)
    k = np.arange(4096)
    for freq, bandwidth in zip(formants, (80, 90, 120), strict=False):
        r, theta = np.exp(-np.pi * bandwidth / SR), 2 * np.pi * freq / SR
        source = np.convolve(source, r**k * np.sin((k + 1) * theta) / np.sin(theta))[:n]
    x = 0.3 * source / np.abs(source).max()
    return (x + 1e-3 * np.random.default_rng(0).standard_normal(n)).astype(np.float32)


def frames(x: np.ndarray, n: int = 2048, hop: int = 480) -> np.ndarray:
    return np.lib.stride_tricks.sliding_window_view(x.astype(float), n)[::hop] * np.hanning(n)


def pitch(x: np.ndarray) -> float:
    """Median F0 (Hz) of the voiced frames, by autocorrelation."""
    acf = np.fft.irfft(np.abs(np.fft.rfft(frames(x), 4096)) ** 2)[:, :1000]
    window = np.fft.irfft(np.abs(np.fft.rfft(np.hanning(2048), 4096)) ** 2)[:1000]
    acf = acf / (acf[:, :1] + 1e-12) / (window / window[0])  # corrected for the window's taper
    low, high = int(SR / 450), int(SR / 60)
    part = acf[:, low:high]
    best = part.max(axis=1)
    lag = low + (part >= 0.9 * best[:, None]).argmax(axis=1)
    return float(np.median(SR / lag[best > 0.5]))


def envelope(x: np.ndarray) -> np.ndarray:
    """Long-term spectral envelope in dB (cepstrally smoothed, 3 ms), 1025 bins."""
    power = np.mean(np.abs(np.fft.rfft(frames(x))) ** 2, axis=0)
    cepstrum = np.fft.irfft(np.log(power + 1e-12))
    cepstrum[144:-144] = 0
    return np.fft.rfft(cepstrum).real * 10 / np.log(10)


def best_stretch(before: np.ndarray, after: np.ndarray, band: tuple[float, float]) -> tuple[float, float]:
    """Frequency factor r that best maps ``before`` onto ``after`` in ``band``, and the dB error left."""
    freqs = np.arange(before.size) * SR / 2048
    inside = (freqs >= band[0]) & (freqs <= band[1])
    best = (1.0, np.inf)
    for r in np.exp(np.linspace(np.log(0.6), np.log(1.6), 400)):
        diff = after[inside] - np.interp(freqs[inside] / r, freqs, before)
        error = float(np.sqrt(np.mean((diff - diff.mean()) ** 2)))
        best = min(best, (float(r), error), key=lambda item: item[1])
    return best


def resampled(x: np.ndarray, factor: float) -> np.ndarray:
    """A plain pitch shift (pitch and formants times ``factor``), by resampling."""
    t = np.arange(x.size)
    return np.interp(t * factor, t, x).astype(np.float32)


def test_output_has_the_input_length_and_sane_levels() -> None:
    x = vowel()
    y = disguise(x, SR, seed=1)
    assert y.shape == x.shape and y.dtype == np.float32
    assert np.isfinite(y).all()
    assert np.abs(y).max() < 1.0
    rms_in, rms_out = np.sqrt(np.mean(x**2)), np.sqrt(np.mean(y**2))
    assert 0.3 * rms_in < rms_out < 3 * rms_in


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 96000])
def test_other_rates_and_edge_lengths(rate: int) -> None:
    for n in (0, 1, 100, rate // 2):
        x = (0.1 * np.sin(2 * np.pi * 150 * np.arange(n) / rate)).astype(np.float32)
        y = disguise(x[None], rate, seed=3)
        assert y.shape == (1, n) and np.isfinite(y).all()


def test_silence_stays_silent() -> None:
    y = disguise(np.zeros((2, SR), np.float32), SR, seed=1)
    assert y.shape == (2, SR) and np.abs(y).max() < 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_pitch_and_formants_move_by_different_factors(seed: int) -> None:
    x = vowel()
    y = disguise(x, SR, seed=seed)
    ratio = pitch(y) / pitch(x)
    assert abs(np.log2(ratio) * 12) > 2.0  # more than 2 semitones away

    before, after = envelope(x), envelope(y)
    _, error = best_stretch(before, after, (300, 3500))
    low, _ = best_stretch(before, after, (300, 1000))
    high, _ = best_stretch(before, after, (1800, 3500))
    # A plain pitch shift is undone by one stretch: the error left is small and both bands agree.
    control = resampled(x, 1.19)
    control_r, control_error = best_stretch(before, envelope(control), (300, 3500))
    assert abs(control_r - 1.19) < 0.02 and control_error < 1.0
    assert error > max(1.5, 2 * control_error)
    assert abs(np.log(low / high)) > 0.08


def test_seeds() -> None:
    x = vowel(0.5)
    a, b = disguise(x, SR, seed=1), disguise(x, SR, seed=2)
    assert np.array_equal(a, disguise(x, SR, seed=1))
    assert np.sqrt(np.mean((a - b) ** 2)) > 0.3 * np.sqrt(np.mean(a**2))
    fresh = disguise(x, SR), disguise(x, SR)  # a secret mapping each time
    assert not np.allclose(fresh[0], fresh[1])


@pytest.mark.parametrize("channels", [1, 2])
def test_streaming_equals_one_shot(channels: int) -> None:
    x = np.tile(vowel(1.5)[None], (channels, 1))
    x[-1] *= 0.5  # channels are mixed down
    whole = disguise(x, SR, seed=7)
    disguiser = VoiceDisguiser(SR, channels, seed=7)
    rng = np.random.default_rng(0)
    parts, start, cuts = [], 0, []
    while start < x.shape[1]:
        size = int(rng.choice([0, 1, 17, 333, 1024, int(rng.integers(1, 6000))]))
        parts.append(disguiser.process(x[:, start : start + size]))
        start += size
        cuts.append(sum(p.shape[1] for p in parts))
    parts.append(disguiser.flush())
    streamed = np.concatenate(parts, axis=1)
    assert streamed.shape == x.shape == whole.shape
    np.testing.assert_allclose(streamed, whole, atol=1e-6)
    assert np.array_equal(streamed[0], streamed[-1])
    steps = np.abs(np.diff(streamed[0]))
    at_cuts = steps[[c - 1 for c in cuts if 0 < c < x.shape[1]]]
    assert at_cuts.max() <= np.quantile(steps, 0.999)


def test_misuse_is_refused() -> None:
    disguiser = VoiceDisguiser(SR, 2, seed=1)
    with pytest.raises(ValueError):
        disguiser.process(np.zeros((1, 100), np.float32))
    disguiser.flush()
    with pytest.raises(RuntimeError):
        disguiser.process(np.zeros((2, 100), np.float32))
    with pytest.raises(ValueError):
        VoiceDisguiser(4000, 1)


def test_faster_than_real_time() -> None:
    x = np.tile(np.concatenate([vowel(1.0)] * 4)[None], (2, 1))
    disguiser = VoiceDisguiser(SR, 2, seed=1)
    start = time.perf_counter()
    for i in range(0, x.shape[1], 1024):
        disguiser.process(x[:, i : i + 1024])
    disguiser.flush()
    assert time.perf_counter() - start < 4.0 / 3  # at least 3x real time even on a slow CI machine


# --- in videos ---------------------------------------------------------------------------


def make_video(path: Path, seconds: float = 1.0) -> tuple[Path, np.ndarray]:
    """An MP4 with a small picture and a 48 kHz stereo AAC track of a sine plus noise."""
    total = int(SR * seconds)
    rng = np.random.default_rng(1)
    t = np.arange(total) / SR
    sound = (0.2 * np.sin(2 * np.pi * 220 * t) + 0.02 * rng.standard_normal(total)).astype(np.float32)
    out = av.open(str(path), "w", format="mp4")
    video = out.add_stream("libx264", rate=10)
    video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
    audio = out.add_stream("aac", rate=SR)
    audio.layout = "stereo"
    for i in range(int(10 * seconds)):
        picture = np.full((48, 64, 3), 40 + 10 * i, np.uint8)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts = i
        out.mux(video.encode(frame))
    out.mux(video.encode(None))
    for start in range(0, total, 1024):
        chunk = np.ascontiguousarray(np.tile(sound[start : start + 1024], (2, 1)))
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = SR, start, Fraction(1, SR)
        out.mux(audio.encode(frame))
    out.mux(audio.encode(None))
    out.close()
    return path, sound


def decoded_audio(path: Path) -> tuple[list[str], np.ndarray | None]:
    with av.open(str(path)) as container:
        kinds = [stream.type for stream in container.streams]
        if not container.streams.audio:
            return kinds, None
        assert container.streams.audio[0].codec_context.name == "aac"
        return kinds, np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    n = min(a.size, b.size)
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    return float(abs(np.dot(a, b)) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def test_transcode_audio_modes(tmp_path: Path) -> None:
    src, _ = make_video(tmp_path / "in.mp4")
    voice = {"disguise": VoiceDisguiser}
    results = {
        mode: transcode(src, tmp_path / f"{mode}.mp4", audio=mode, audio_filter=voice.get(mode))
        for mode in ("keep", "drop", "disguise")
    }
    kinds, kept = decoded_audio(tmp_path / "keep.mp4")
    _, source = decoded_audio(src)
    assert kinds == ["video", "audio"] and results["keep"].had_audio
    assert kept is not None and source is not None and kept.shape == source.shape
    assert similarity(kept[0], source[0]) > 0.95  # kept: the same sound, re-encoded

    kinds, dropped = decoded_audio(tmp_path / "drop.mp4")
    assert kinds == ["video"] and dropped is None and not results["drop"].had_audio

    kinds, disguised = decoded_audio(tmp_path / "disguise.mp4")
    assert kinds == ["video", "audio"] and results["disguise"].had_audio
    assert disguised is not None and disguised.shape == kept.shape  # same duration, same channels
    assert results["disguise"].frames == results["keep"].frames == 10
    assert np.isfinite(disguised).all() and np.sqrt(np.mean(disguised**2)) > 0.01
    assert similarity(disguised[0], kept[0]) < 0.5


def test_transcode_rejects_unknown_audio_mode(tmp_path: Path) -> None:
    src, _ = make_video(tmp_path / "in.mp4", seconds=0.5)
    with pytest.raises(ValueError):
        transcode(src, tmp_path / "out.mp4", audio="mute")  # type: ignore[arg-type]
