"""Voice disguise: resynthesise speech with a secret, random voice mapping (see docs/voice.md).

This is not a pitch shift. Every STFT frame (Hann, 32 ms, 75 % overlap) is split into a
spectral envelope (cepstral smoothing, lifter adapted to the pitch) and an excitation, and
the excitation is thrown away:

* voiced sound is rebuilt from a band-limited pulse train at a mapped pitch
  ``log F0' = R + shift + gamma * (log F0 - R) + wander(t)``, where ``R`` is the speaker's
  running mean pitch, ``gamma < 1`` flattens the intonation and ``wander`` is a slow random
  drift; the upper band and unvoiced sound are rebuilt from noise, and a share of noise is
  always mixed in;
* the envelope's frequency axis is warped by a monotonic, non-linear map (the low band,
  around F1, moves by another factor than the mid band, around F2/F3, and than the top),
  its tilt is changed, and it is applied as a minimum-phase filter;
* frames are overlap-added.

The mapping (shift, gamma, warp, tilt, noise share ...) is drawn per disguiser from
``secrets`` unless a seed is given (for tests). It lives only in memory; nothing stores or
outputs it. Channels are mixed down to mono and the disguised voice is written to every
channel. Processing is streaming: state carries over between :meth:`VoiceDisguiser.process`
calls, so chunk boundaries leave no trace; output lags input (up to about 0.4 s) and
:meth:`VoiceDisguiser.flush` returns the rest, so that the total output length equals the
input length, sample for sample aligned.
"""

from __future__ import annotations

import math
import secrets

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_FRAME_S = 0.032  # STFT frame length
_F0_RANGE = (60.0, 450.0)  # pitch search range, Hz
_F0_OUT_RANGE = (55.0, 450.0)  # mapped pitch is kept in this range, Hz
_CENTRE_RANGE = (75.0, 320.0)  # the mapped mean pitch goes at most 3 semitones beyond this, Hz
_PITCH_BAND = (40.0, 80.0, 1000.0, 1500.0)  # band (ramp up, flat, ramp down) used to find the pitch
_VOICED_MIN = 0.45  # normalised autocorrelation below which a frame is unvoiced
_SILENCE = 1e-9  # mean power (full scale = 1) below which a frame is unvoiced
_REF_S = 2.0  # time constant of the speaker's running mean pitch
_GLIDE_S = 0.02  # smoothing of the mapped pitch
_WARP_ANCHORS = (900.0, 2000.0, 3500.0, 6000.0)  # Hz: low | mid | mid | high band of the warp
_BATCH = 32  # frames analysed at once while streaming
_KNEE = 0.8  # output peaks above this are bent smoothly below 1.0
_EPS = 1e-20


class VoiceDisguiser:
    """Streaming voice disguise for float audio of shape ``(channels, n)``.

    ``seed=None`` draws a fresh secret mapping; a fixed seed gives reproducible output.
    """

    def __init__(self, sample_rate: int, channels: int, seed: int | None = None) -> None:
        if sample_rate < 8000:
            raise ValueError(f"sample_rate must be at least 8000 Hz, not {sample_rate}")
        if channels < 1:
            raise ValueError(f"channels must be at least 1, not {channels}")
        self.sample_rate, self.channels = int(sample_rate), int(channels)
        sr = float(self.sample_rate)
        n = 64 * max(4, round(_FRAME_S * sr / 64))
        self._n, self._hop = n, n // 4
        bins = np.arange(n // 2 + 1) * sr / n
        root = np.random.SeedSequence(secrets.randbits(128) if seed is None else seed)
        key_seq, wander_seq, noise_seq = root.spawn(3)
        key = np.random.default_rng(key_seq)
        self._wander_rng = np.random.default_rng(wander_seq)
        self._noise_rng = np.random.default_rng(noise_seq)

        # --- the secret mapping
        self._shift = key.choice((-1.0, 1.0)) * key.uniform(3.5, 6.5) * math.log(2) / 12
        self._gamma = key.uniform(0.45, 0.7)
        wander_s = key.uniform(0.15, 0.4)
        self._wander_rho = math.exp(-self._hop / (wander_s * sr))
        self._wander_step = key.uniform(0.02, 0.04) * math.sqrt(1 - self._wander_rho**2)
        low, mid, high = _draw_warp(key)
        tilt_db = key.uniform(-3.0, 3.0)
        noise_share = key.uniform(0.05, 0.12)
        voiced_top = key.uniform(3000.0, 5000.0)

        # --- fixed tables
        self._window = np.hanning(n + 1)[:n]
        self._synth_window = self._window / 1.5  # Hann * Hann at 75 % overlap adds up to 1.5
        self._pitch_window = np.hanning(2 * n + 1)[: 2 * n]
        # autocorrelation from a zero-padded FFT, read back every `step` samples (the band used is narrow)
        self._acf_step = 1 << max(0, int(math.log2(sr / 4000)))
        self._acf_size = 1 << math.ceil(math.log2(2 * n + sr / _F0_RANGE[0] + 2))
        acf_bins = self._acf_size // self._acf_step // 2 + 1
        pitch_bins = np.arange(acf_bins) * sr / self._acf_size
        a, b, c, d = _PITCH_BAND
        self._pitch_band = np.clip((pitch_bins - a) / (b - a), 0, 1) * np.clip((d - pitch_bins) / (d - c), 0, 1)
        self._lag_min = max(2, int(sr / _F0_RANGE[1] / self._acf_step))
        self._lag_max = math.ceil(sr / _F0_RANGE[0] / self._acf_step)
        win_acf = np.fft.irfft(np.abs(np.fft.rfft(self._pitch_window, self._acf_size)) ** 2, self._acf_size)
        win_acf = win_acf[:: self._acf_step][: self._lag_max + 2]
        self._window_acf = win_acf / win_acf[0]
        self._quefrency = np.minimum(np.arange(n), n - np.arange(n)).astype(float)
        source = _warp_source(bins, low, mid, high)
        pos = np.clip(source * n / sr, 0, n // 2)
        self._warp_lo = np.minimum(pos.astype(int), n // 2 - 1)
        self._warp_frac = pos - self._warp_lo
        self._tilt = tilt_db * math.log(10) / 20 * np.log2(np.maximum(bins, 1000.0) / 1000.0)
        self._harmonic_share = (1 - noise_share) / (1 + (bins / voiced_top) ** 4)
        self._pulse_top = min(0.45 * sr, 12000.0)
        self._glide = 1 - math.exp(-self._hop / (_GLIDE_S * sr))
        self._ref_frames = _REF_S * sr / self._hop
        self._centre_range = (math.log(_CENTRE_RANGE[0]), math.log(_CENTRE_RANGE[1]))

        # --- streaming state. Positions q count samples from the start of 3n/2 virtual zeros
        # before the input. Frame m: pitch window [m*hop, m*hop + 2n), spectrum window
        # [m*hop + n/2, m*hop + 3n/2), centre m*hop + n.
        self._pre = 3 * n // 2
        self._buf = np.zeros(self._pre)
        self._buf_q = 0
        self._received = 0
        self._analysed = self._mapped = self._synthesised = 0  # next frame for each stage
        self._log_f0: list[float] = []  # per frame from self._base: log F0 or nan (unvoiced)
        self._voicing: list[float] = []
        self._out_f0: list[float] = []  # per frame from self._base: mapped log F0
        self._base = 0
        self._filters = np.zeros((0, n // 2 + 1), complex)  # frames synthesised .. analysed
        self._energy = np.zeros(0)
        self._ref = 0.0
        self._ref_count = 0
        self._f0 = math.log(150.0) + self._shift
        self._was_voiced = False
        self._wander = 0.0
        self._pulses = np.zeros(0)
        self._pulse_q = self._pulse_end = n // 2  # pulses cover [pulse_q, pulse_end): from frame 0
        self._phase = 0.0
        self._out = np.zeros(0)
        self._out_q = n // 2
        self._emitted = self._pre
        self._closed = False

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Disguise the next chunk; returns the float32 output that is ready (may be shorter)."""
        if self._closed:
            raise RuntimeError("VoiceDisguiser.process called after flush")
        mono = self._mono(samples)
        step = _BATCH * self._hop
        for start in range(0, mono.size, step):  # batches of frames: big enough for numpy, small for the cache
            self._buf = np.concatenate([self._buf, mono[start : start + step]])
            self._received += min(step, mono.size - start)
            if self._buf_q + self._buf.size - self._analysed * self._hop - 2 * self._n >= step:
                self._run()
        return self._emit(self._synthesised * self._hop + self._n // 2)

    def flush(self) -> np.ndarray:
        """Return the rest of the output; afterwards the disguiser cannot be used again."""
        if self._closed:
            raise RuntimeError("VoiceDisguiser.flush called twice")
        n, hop = self._n, self._hop
        end = self._pre + self._received
        last = (end - n // 2 - 1) // hop  # last frame whose spectrum window reaches the input
        need = (last + 3) * hop + 2 * n
        have = self._buf_q + self._buf.size
        if need > have:
            self._buf = np.concatenate([self._buf, np.zeros(need - have)])
        self._run()
        self._closed = True
        return self._emit(end)

    # --- internals -------------------------------------------------------------------

    def _mono(self, samples: np.ndarray) -> np.ndarray:
        array = np.asarray(samples)
        if array.ndim == 1 and self.channels == 1:
            array = array[None]
        if array.ndim != 2 or array.shape[0] != self.channels:
            raise ValueError(f"samples must have shape ({self.channels}, n), not {array.shape}")
        mono = array.astype(np.float64).mean(axis=0)
        return np.nan_to_num(mono, nan=0.0, posinf=0.0, neginf=0.0)

    def _run(self) -> None:
        n, hop = self._n, self._hop
        ready = (self._buf_q + self._buf.size - 2 * n) // hop + 1  # frames whose pitch window is complete
        if ready > self._analysed:
            self._analyse(ready - self._analysed)
        if self._analysed - 1 > self._mapped:  # mapping frame k looks at frame k+1
            self._map(self._analysed - 1)
        if self._mapped - 2 > self._synthesised:  # synthesising frame m needs the pitch of m+2
            self._synthesise(self._mapped - 2 - self._synthesised)
        keep = self._analysed * hop - self._buf_q
        if keep > 0:
            self._buf = self._buf[keep:]
            self._buf_q += keep
        drop = self._synthesised - 2 - self._base
        if drop > 256:
            del self._log_f0[:drop], self._voicing[:drop], self._out_f0[:drop]
            self._base += drop

    def _analyse(self, count: int) -> None:
        """Pitch, voicing and warped minimum-phase envelope filter of the next frames."""
        n, hop, sr = self._n, self._hop, self.sample_rate
        start = self._analysed * hop - self._buf_q
        windows = sliding_window_view(self._buf[start : start + (count - 1) * hop + 2 * n], 2 * n)[::hop]
        frames = windows[:, n // 2 : n // 2 + n] * self._window
        spectrum = np.fft.rfft(frames)
        power = spectrum.real**2 + spectrum.imag**2
        energy = power.sum(axis=1)
        mean_power = energy / np.sum(self._window**2)

        # pitch: normalised autocorrelation of the low band
        wide = np.fft.rfft(windows * self._pitch_window, self._acf_size)[:, : self._pitch_band.size]
        acf = np.fft.irfft((wide.real**2 + wide.imag**2) * self._pitch_band, self._acf_size // self._acf_step)
        acf = acf[:, : self._lag_max + 2]
        acf = acf / (acf[:, :1] + _EPS) / self._window_acf
        lags = acf[:, self._lag_min - 1 : self._lag_max + 2]
        inner = lags[:, 1:-1]
        peaks = (inner > lags[:, :-2]) & (inner >= lags[:, 2:])
        best = np.where(peaks, inner, -1.0).max(axis=1)
        pick = peaks & (inner >= 0.85 * best[:, None])
        index = pick.argmax(axis=1)
        rows = np.arange(count)
        left, mid, right = lags[rows, index], inner[rows, index], lags[rows, index + 2]
        curve = left - 2 * mid + right
        delta = np.where(curve < 0, 0.5 * (left - right) / np.where(curve < 0, curve, -1.0), 0.0)
        lag = (self._lag_min + index + np.clip(delta, -0.5, 0.5)) * self._acf_step
        voiced = pick.any(axis=1) & (mid >= _VOICED_MIN) & (mean_power > _SILENCE)
        f0 = sr / lag

        # envelope: cepstral smoothing with a lifter below the pitch period
        cutoff = np.where(voiced, np.clip(0.6 * lag, 0.001 * sr, 0.005 * sr), 0.0025 * sr)
        lifter = np.clip((cutoff[:, None] - self._quefrency) / (0.3 * cutoff[:, None]), 0.0, 1.0)
        cepstrum = np.fft.irfft(0.5 * np.log(power + 1e-12), n)
        envelope = np.fft.rfft(cepstrum * lifter).real
        warped = envelope[:, self._warp_lo] * (1 - self._warp_frac) + envelope[:, self._warp_lo + 1] * self._warp_frac
        warped += self._tilt
        folded = np.fft.irfft(warped, n)
        folded[:, 1 : n // 2] *= 2
        folded[:, n // 2 + 1 :] = 0
        filters = np.exp(np.fft.rfft(folded))

        self._filters = np.concatenate([self._filters, filters])
        self._energy = np.concatenate([self._energy, energy])
        self._log_f0.extend(np.where(voiced, np.log(f0), np.nan).tolist())
        self._voicing.extend(np.where(voiced, np.clip((mid - 0.4) / 0.35, 0.0, 1.0), 0.0).tolist())
        self._analysed += count

    def _map(self, upto: int) -> None:
        """Mapped (output) pitch of frames up to ``upto`` (exclusive), one frame after another."""
        low, high = math.log(_F0_OUT_RANGE[0]), math.log(_F0_OUT_RANGE[1])
        steps = self._wander_rng.standard_normal(upto - self._mapped)
        for k, step in zip(range(self._mapped, upto), steps, strict=True):
            i = k - self._base
            self._wander = self._wander * self._wander_rho + self._wander_step * float(step)
            value = self._log_f0[i]
            if math.isnan(value):
                self._was_voiced = False
            else:
                around = (self._log_f0[i - 1] if i > 0 else math.nan, self._log_f0[i + 1])
                if not any(math.isnan(v) for v in around):
                    value = sorted((around[0], value, around[1]))[1]  # median of three: no octave slips
                self._ref_count += 1
                self._ref += (value - self._ref) / min(self._ref_count, self._ref_frames)
                centre = _soft_range(self._ref + self._shift, *self._centre_range)
                target = centre + self._gamma * (value - self._ref) + self._wander
                target = min(max(target, low), high)
                self._f0 = self._f0 + self._glide * (target - self._f0) if self._was_voiced else target
                self._was_voiced = True
            self._out_f0.append(self._f0)
        self._mapped = upto

    def _synthesise(self, count: int) -> None:
        """Resynthesise the next frames and overlap-add them into the output buffer."""
        n, hop = self._n, self._hop
        first = self._synthesised
        self._extend_pulses((first + count - 1) * hop + 3 * n // 2)
        start = first * hop + n // 2 - self._pulse_q
        frames = sliding_window_view(self._pulses[start : start + (count + 3) * hop], n)[::hop] * self._window
        pulse = np.fft.rfft(frames)
        pulse /= np.sqrt(np.mean(pulse.real**2 + pulse.imag**2, axis=1, keepdims=True)) + 1e-12
        raw = self._noise_rng.standard_normal((count, n // 2 + 1, 2))
        noise = (raw[..., 0] + 1j * raw[..., 1]) * math.sqrt(0.5)
        noise[:, 0] = 0
        voicing = np.array(self._voicing[first - self._base : first - self._base + count])
        share = voicing[:, None] * self._harmonic_share
        spectrum = (np.sqrt(share) * pulse + np.sqrt(1 - share) * noise) * self._filters[:count]
        energy = np.sum(spectrum.real**2 + spectrum.imag**2, axis=1)
        gain = np.sqrt(self._energy[:count] / (energy + _EPS))
        frames = np.fft.irfft(spectrum * gain[:, None], n) * self._synth_window
        self._filters, self._energy = self._filters[count:], self._energy[count:]

        begin = first * hop + n // 2 - self._out_q
        length = (count + 3) * hop
        if begin + length > self._out.size:
            self._out = np.concatenate([self._out, np.zeros(begin + length - self._out.size)])
        for j in range(4):
            part = frames[:, j * hop : (j + 1) * hop].reshape(-1)
            self._out[begin + j * hop : begin + j * hop + part.size] += part
        self._synthesised += count
        drop = self._synthesised * hop + n // 2 - self._pulse_q
        self._pulses, self._pulse_q = self._pulses[drop:], self._pulse_q + drop

    def _extend_pulses(self, end: int) -> None:
        """Band-limited pulse train at the mapped pitch, hop by hop, up to position ``end``."""
        n, hop = self._n, self._hop
        blocks = (end - self._pulse_end) // hop
        if blocks <= 0:
            return
        q = self._pulse_end + np.arange(blocks * hop, dtype=float)
        centres = (self._base + np.arange(len(self._out_f0))) * hop + n
        f0 = np.exp(np.interp(q, centres, self._out_f0)).reshape(blocks, hop)
        step = 2 * math.pi / self.sample_rate * f0
        phase = np.cumsum(step, axis=1)
        offsets = np.empty(blocks)
        for b in range(blocks):  # block by block, so that chunk sizes cannot change the result
            offsets[b] = self._phase
            self._phase = (self._phase + phase[b, -1]) % (2 * math.pi)
        phase = ((phase - step + offsets[:, None] + math.pi) % (2 * math.pi) - math.pi).reshape(-1)
        harmonics = self._pulse_top / f0.reshape(-1)
        whole = np.floor(harmonics)
        half = np.sin(0.5 * phase)
        tiny = np.abs(half) < 1e-6
        dirichlet = np.where(tiny, whole, np.sin((whole + 0.5) * phase) / (2 * np.where(tiny, 1.0, half)) - 0.5)
        pulses = (dirichlet + (harmonics - whole) * np.cos((whole + 1) * phase)) / harmonics
        self._pulses = np.concatenate([self._pulses, pulses])
        self._pulse_end += blocks * hop

    def _emit(self, upto: int) -> np.ndarray:
        """Finished output from the last emitted position up to ``upto`` (clipped to the input)."""
        upto = min(upto, self._pre + self._received)
        count = max(0, upto - self._emitted)
        start = self._emitted - self._out_q
        mono = _soft_clip(self._out[start : start + count]).astype(np.float32)
        if count:
            self._emitted += count
            drop = self._emitted - self._out_q
            self._out, self._out_q = self._out[drop:], self._out_q + drop
        return np.repeat(mono[None], self.channels, axis=0)


def disguise(samples: np.ndarray, sample_rate: int, seed: int | None = None) -> np.ndarray:
    """Disguise a whole recording at once: ``(channels, n)`` (or ``(n,)``) in, same shape float32 out."""
    array = np.asarray(samples)
    channels = 1 if array.ndim == 1 else array.shape[0]
    disguiser = VoiceDisguiser(sample_rate, channels, seed)
    out = np.concatenate([disguiser.process(array), disguiser.flush()], axis=1)
    return out[0] if array.ndim == 1 else out


def _soft_clip(x: np.ndarray) -> np.ndarray:
    """Unchanged up to 0.8 in magnitude, then bent smoothly towards 1 (never reached)."""
    over = np.abs(x) - _KNEE
    bent = np.sign(x) * (_KNEE + (1 - _KNEE) * np.tanh(over / (1 - _KNEE)))
    return np.where(over > 0, bent, x)


def _soft_range(value: float, low: float, high: float) -> float:
    """``value`` inside [low, high]; beyond, bent smoothly to at most 3 semitones past the edge."""
    knee = 0.25 * math.log(2)
    if value < low:
        return low - knee * math.tanh((low - value) / knee)
    if value > high:
        return high + knee * math.tanh((value - high) / knee)
    return value


def _draw_warp(rng: np.random.Generator) -> tuple[float, float, float]:
    """Log scale factors of the low, mid and high band; low and mid differ by at least 0.12."""
    while True:
        low = rng.choice((-1.0, 1.0)) * rng.uniform(0.08, 0.2)
        mid = low + rng.choice((-1.0, 1.0)) * rng.uniform(0.12, 0.25)
        if abs(mid) <= 0.22:
            return low, mid, rng.uniform(-0.15, 0.15)


def _warp_source(bins: np.ndarray, low: float, mid: float, high: float) -> np.ndarray:
    """For each output bin frequency, the input frequency whose envelope value it takes."""
    fine = np.linspace(0.0, bins[-1] * 1.6, 8 * bins.size)
    scale = np.interp(np.log(np.maximum(fine, 1.0)), np.log(_WARP_ANCHORS), (low, mid, mid, high))
    target = np.maximum.accumulate(fine * np.exp(scale))
    return np.interp(bins, target, fine)
