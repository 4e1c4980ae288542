"""Vault throughput: put/get of 4 MiB objects on the local backend, beside a bare
write+fsync loop and `borg create` (repokey-blake2) on the same bytes, alternating the
three in each round (and put with compression off, ``put0``: what the rest of a put costs);
then peak memory while streaming a 2 GiB object.

    .venv/bin/python benchmarks/vault.py [--rounds 5] [--objects 32] [--big-gib 2]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from custodio.vault.backends.fs import DirectoryBackend
from custodio.vault.envelope import Kind
from custodio.vault.index import MemoryIndex
from custodio.vault.providers.keyfile import KeyFileProvider
from custodio.vault.store import Vault, VaultSettings

MiB = 1024 * 1024


def audio_like(n: int, seed: int) -> bytes:
    """G.711-ish bytes: random, slightly skewed (zstd level 1 gains a little)."""
    raw = bytearray(os.urandom(n))
    raw[::7] = bytes([0xD5]) * len(raw[::7])  # A-law silence byte, sprinkled
    return bytes(raw) + seed.to_bytes(8, "big")


def timed(func: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


def put_all(vault: Vault, files: list[bytes], refs: list[str]) -> None:
    refs.extend(vault.put("C", Kind.AUDIO, data).object_id for data in files)


def get_all(vault: Vault, refs: list[str]) -> None:
    for ref in refs:
        vault.get("C", ref)


def put_threads(vault: Vault, files: list[bytes]) -> None:
    """Two puts in flight: one encrypts while the other waits for its fsync."""
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda data: vault.put("C", Kind.AUDIO, data), files))


def bare_loop(files: list[bytes], root: Path) -> None:
    for i, data in enumerate(files):
        with (root / f"f{i}").open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())


def borg_create(borg: str, repo: Path, src: Path, name: str) -> None:
    env = {
        **os.environ,
        "BORG_PASSPHRASE": "bench",
        "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes",
    }
    subprocess.run(
        [borg, "create", f"{repo}::{name}", "."], cwd=src, env=env, check=True, capture_output=True
    )


def borg_init(borg: str, repo: Path) -> None:
    env = {**os.environ, "BORG_PASSPHRASE": "bench"}
    subprocess.run(
        [borg, "init", "-e", "repokey-blake2", str(repo)], env=env, check=True, capture_output=True
    )


def run_rounds(args: argparse.Namespace, work: Path) -> None:
    borg = shutil.which("borg") or str(Path(sys.executable).parent / "borg")
    has_borg = Path(borg).exists()
    provider = KeyFileProvider.create(work / "keys", "bench", scrypt_n=2**14)
    results: dict[str, list[float]] = {
        "put": [], "put0": [], "put2": [], "get": [], "bare": [], "borg": []
    }  # fmt: skip
    total = args.objects * 4 * MiB
    for rnd in range(args.rounds):
        files = [audio_like(4 * MiB - 8, rnd * 1000 + i) for i in range(args.objects)]
        src = work / f"src{rnd}"
        src.mkdir()
        bare_loop(files, src)  # borg's input, written outside the timing
        vault = Vault(DirectoryBackend(work / f"vault{rnd}"), MemoryIndex(), provider)
        vault2 = Vault(DirectoryBackend(work / f"vault2-{rnd}"), MemoryIndex(), provider)
        plain = VaultSettings(zstd_level=0)  # no compression: what the rest of put costs
        vault0 = Vault(DirectoryBackend(work / f"vault0-{rnd}"), MemoryIndex(), provider, plain)
        refs: list[str] = []
        bare_dir = work / f"bare{rnd}"
        bare_dir.mkdir()
        results["put"].append(total / timed(put_all, vault, files, refs) / MiB)
        results["bare"].append(total / timed(bare_loop, files, bare_dir) / MiB)
        results["put2"].append(total / timed(put_threads, vault2, files) / MiB)
        results["put0"].append(total / timed(put_all, vault0, files, []) / MiB)
        if has_borg:
            repo = work / f"borg{rnd}"
            borg_init(borg, repo)
            results["borg"].append(total / timed(borg_create, borg, repo, src, "a") / MiB)
        results["get"].append(total / timed(get_all, vault, refs) / MiB)
        for path in (
            src,
            bare_dir,
            work / f"vault{rnd}",
            work / f"vault2-{rnd}",
            work / f"vault0-{rnd}",
            work / f"borg{rnd}",
        ):
            shutil.rmtree(path, ignore_errors=True)
    report(results)


def report(results: dict[str, list[float]]) -> None:
    med = {k: statistics.median(v) for k, v in results.items() if v}
    for key, value in med.items():
        rounds = ", ".join(f"{x:.0f}" for x in results[key])
        print(f"{key:5s} median {value:8.1f} MB/s   rounds: {rounds}")
    print(f"put / bare loop = {med['put'] / med['bare']:.2f}  (target >= 0.85)")
    print(f"put2 / bare     = {med['put2'] / med['bare']:.2f}  (two puts in flight)")
    print(f"put0 / bare     = {med['put0'] / med['bare']:.2f}  (compression off)")
    if "borg" in med:
        print(f"put / borg      = {med['put'] / med['borg']:.2f}  (target >= 2.5)")
    print(f"get             = {med['get']:.0f} MB/s (target >= 300)")


class Zeros(io.RawIOBase):
    """A seekable 'file' of n pseudo-audio bytes generated on the fly (no disk, no RAM)."""

    def __init__(self, size: int) -> None:
        self.size, self.pos = size, 0
        self.block = audio_like(MiB - 8, 0) + b"\0" * 8

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = pos
        return pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        n = min(n if n >= 0 else self.size, self.size - self.pos, MiB - self.pos % MiB)
        start = self.pos % MiB
        self.pos += n
        return self.block[start : start + n]


def big_object(gib: float, work: Path) -> None:
    size = int(gib * 1024 * MiB)
    provider = KeyFileProvider.create(work / "keys-big", "bench", scrypt_n=2**14)
    vault = Vault(DirectoryBackend(work / "vault-big"), MemoryIndex(), provider)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    ref = vault.put_file("C", Kind.AUDIO, Zeros(size))  # type: ignore[arg-type]
    put_s = time.perf_counter() - start
    start = time.perf_counter()
    n = sum(len(chunk) for chunk in vault.stream("C", ref.object_id))
    get_s = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert n == size
    rates = f"put {size / put_s / MiB:.0f} MB/s, get {size / get_s / MiB:.0f} MB/s"
    rss = f"peak RSS {after / 1024:.0f} MiB (was {before / 1024:.0f} MiB before)"
    print(f"{gib:g} GiB streamed object: {rates}, {rss}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--objects", type=int, default=32)
    parser.add_argument("--big-gib", type=float, default=2.0)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write (default: a temp dir)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        if args.big_gib:  # first, so that the rounds' buffers do not hide its peak
            big_object(args.big_gib, Path(tmp))
        run_rounds(args, Path(tmp))


if __name__ == "__main__":
    main()
