"""Chunked AES-256-GCM in the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015).

Plaintext is cut into 64 KiB chunks. Chunk ``i`` is sealed with the 12-byte nonce
``prefix (7 random bytes) || i (4 bytes, big-endian) || last (1 byte: 1 on the final chunk)``
and the stream's header as associated data, so a changed byte, a reordered, dropped or
duplicated chunk, a cut at any place and appended bytes all fail authentication. An empty
plaintext is one empty final chunk. Each stream uses its own key (derived by the caller with a
fresh salt), so a nonce never repeats under one key.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHUNK = 64 * 1024
TAG = 16
PREFIX = 7
_MAX_CHUNKS = 2**32


class StreamDamaged(Exception):
    """A chunk failed authentication or the stream ended at the wrong place (internal; callers re-raise)."""


def new_prefix() -> bytes:
    """A fresh random nonce prefix for one stream."""
    return os.urandom(PREFIX)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= _MAX_CHUNKS:
        raise StreamDamaged("stream too long")
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class Encryptor:
    """A write-only stream: ``write`` plaintext, ``close`` to seal the final chunk into ``sink``."""

    def __init__(self, key: bytes, prefix: bytes, aad: bytes, sink: Callable[[bytes], object]) -> None:
        self._aead = AESGCM(key)
        self._prefix = prefix
        self._aad = aad
        self._sink = sink
        self._buffer = bytearray()
        self._index = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        if self.closed:
            raise ValueError("write to a closed stream")
        self._buffer += data
        # Keep at least one byte back: only close() knows which chunk is the last one.
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self.closed = True

    def _seal(self, plain: bytes, last: bool) -> None:
        self._sink(self._aead.encrypt(_nonce(self._prefix, self._index, last), plain, self._aad))
        self._index += 1


def encrypt_chunks(key: bytes, prefix: bytes, aad: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Sealed chunks for the plaintext pieces in ``chunks`` (any sizes)."""
    out: list[bytes] = []
    enc = Encryptor(key, prefix, aad, out.append)
    for piece in chunks:
        enc.write(piece)
        yield from out
        out.clear()
    enc.close()
    yield from out


def decrypt_chunks(key: bytes, prefix: bytes, aad: bytes, read: Callable[[int], bytes]) -> Iterator[bytes]:
    """Plaintext chunks read with ``read(n)``; raises :class:`StreamDamaged` on any alteration.

    The generator finishing without an error is the proof that the whole stream is intact.
    """
    aead = AESGCM(key)
    size = CHUNK + TAG
    index = 0
    current = _read_exact(read, size)
    while True:
        following = _read_exact(read, size) if len(current) == size else b""
        last = not following
        if len(current) < TAG:
            raise StreamDamaged("stream cut short")
        try:
            plain = aead.decrypt(_nonce(prefix, index, last), current, aad)
        except InvalidTag:
            raise StreamDamaged(f"chunk {index} failed authentication") from None
        yield plain
        if last:
            return
        index += 1
        current = following


def _read_exact(read: Callable[[int], bytes], size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        part = read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


class DecryptingReader(io.RawIOBase):
    """A readable file object over :func:`decrypt_chunks` (for ``tarfile`` in stream mode)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self.finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[override]
        while not self._buffer and not self.finished:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                self.finished = True
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def drain(self) -> None:
        """Read to the end, so the final-chunk check runs even when the consumer stopped early."""
        while self.read(CHUNK):
            pass
