"""Vault throughput: put/get of 4 MiB objects on the local backend, beside a bare
write+fsync loop, `borg create` (repokey-blake2) on the same bytes and `borg extract
--stdout` of them, the series alternating in each round (and put with compression off,
``put0``: what the rest of a put costs; ``put2``: two puts in flight); then peak memory
while streaming a 2 GiB object.

    .venv/bin/python benchmarks/vault.py [--rounds 5] [--objects 32 64 128] [--big-gib 2]

Each series runs at each object count. borg starts in 0.7-1 s whatever it stores,
which dominates small runs (put looked 3.8x borg at 8 objects, 1.5x at 64), so the
throughput compared is the slope between the smallest and the largest count,
Δbytes / Δtime, computed per round; the intercept (the fixed start-up cost, in seconds)
is printed apart. Rates are MiB/s (2**20 octets per second). borg is found on PATH or
beside this Python; without it its series are skipped.
"""

from __future__ import annotations

import argparse
import io
import math
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
OBJECT = 4 * MiB


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


def borg_env() -> dict[str, str]:
    return {
        **os.environ,
        "BORG_PASSPHRASE": "bench",
        "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes",
    }


def borg_create(borg: str, repo: Path, src: Path, name: str) -> None:
    subprocess.run(
        [borg, "create", f"{repo}::{name}", "."],
        cwd=src,
        env=borg_env(),
        check=True,
        capture_output=True,
    )


def borg_extract(borg: str, repo: Path, name: str) -> None:
    """Every object read back, authenticated and decrypted, to nowhere (as get keeps it)."""
    subprocess.run(
        [borg, "extract", "--stdout", f"{repo}::{name}"],
        env=borg_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def borg_init(borg: str, repo: Path) -> None:
    subprocess.run(
        [borg, "init", "-e", "repokey-blake2", str(repo)],
        env=borg_env(),
        check=True,
        capture_output=True,
    )


SERIES = ("put", "put0", "put2", "bare", "borg", "get", "borgx")
LABELS = {
    "put": "vault put",
    "put0": "put, compression off",
    "put2": "put, two in flight",
    "bare": "bare write+fsync loop",
    "borg": "borg create",
    "get": "vault get",
    "borgx": "borg extract --stdout",
}
Times = dict[str, dict[int, list[float]]]  # series -> object count -> seconds per round


def find_borg() -> str | None:
    borg = shutil.which("borg") or str(Path(sys.executable).parent / "borg")
    return borg if Path(borg).exists() else None


def run_rounds(args: argparse.Namespace, work: Path) -> None:
    borg = find_borg()
    if borg is None:
        print("borg not found (PATH, or beside this Python): its series are skipped")
    provider = KeyFileProvider.create(work / "keys", "bench", scrypt_n=2**14)
    counts: list[int] = args.objects
    times: Times = {key: {n: [] for n in counts} for key in SERIES}
    for rnd in range(args.rounds):
        files = [audio_like(OBJECT - 8, rnd * 1000 + i) for i in range(counts[-1])]
        for n in counts if rnd % 2 == 0 else counts[::-1]:  # drift spread over the counts
            measure(files[:n], f"{rnd}-{n}", work, provider, borg, times)
    report(times, counts, args.rounds)


def measure(
    files: list[bytes],
    tag: str,
    work: Path,
    provider: KeyFileProvider,
    borg: str | None,
    times: Times,
) -> None:
    """One count of one round: every series on the same objects, each into a fresh place."""
    n = len(files)
    made: list[Path] = []

    def fresh(name: str) -> Path:
        made.append(work / f"{name}{tag}")
        return made[-1]

    vault = Vault(DirectoryBackend(fresh("vault")), MemoryIndex(), provider)
    vault2 = Vault(DirectoryBackend(fresh("vault2-")), MemoryIndex(), provider)
    plain = VaultSettings(zstd_level=0)  # no compression: what the rest of put costs
    vault0 = Vault(DirectoryBackend(fresh("vault0-")), MemoryIndex(), provider, plain)
    refs: list[str] = []
    bare_dir = fresh("bare")
    bare_dir.mkdir()
    times["put"][n].append(timed(put_all, vault, files, refs))
    times["bare"][n].append(timed(bare_loop, files, bare_dir))
    times["put2"][n].append(timed(put_threads, vault2, files))
    times["put0"][n].append(timed(put_all, vault0, files, []))
    repo = fresh("borg")
    if borg:
        src = fresh("src")
        src.mkdir()
        bare_loop(files, src)  # borg's input, written outside the timing
        borg_init(borg, repo)
        times["borg"][n].append(timed(borg_create, borg, repo, src, "a"))
    times["get"][n].append(timed(get_all, vault, refs))
    if borg:
        times["borgx"][n].append(timed(borg_extract, borg, repo, "a"))
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


def fit(lo: tuple[int, float], hi: tuple[int, float]) -> tuple[float, float]:
    """Slope (MiB/s) and intercept (s) of time against bytes through two points."""
    (n_lo, t_lo), (n_hi, t_hi) = lo, hi
    if t_hi <= t_lo:  # noise larger than the work between the two counts
        return math.nan, math.nan
    slope = (n_hi - n_lo) * OBJECT / (t_hi - t_lo)
    return slope / MiB, t_lo - n_lo * OBJECT / slope


def median(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return statistics.median(finite) if finite else math.nan


def report(times: Times, counts: list[int], rounds: int) -> None:
    lo, hi = counts[0], counts[-1]
    slopes: dict[str, list[float]] = {}
    starts: dict[str, list[float]] = {}
    print(
        f"4 MiB objects at {', '.join(map(str, counts))} objects, {rounds} round(s);"
        " MiB/s = 2**20 octets per second; medians over the rounds"
    )
    width = max(len(label) for label in LABELS.values())
    rate_head = " ".join(f"{n:>6}" for n in counts)
    print(
        f"{'series':{width}s}  MiB/s at {rate_head}   slope {lo}->{hi}  start-up s"
        "   slope per round"
    )
    for key in SERIES:
        if not times[key][lo]:
            continue
        pairs = [fit((lo, a), (hi, b)) for a, b in zip(times[key][lo], times[key][hi], strict=True)]
        slopes[key] = [s for s, _ in pairs]
        starts[key] = [i for _, i in pairs]
        rates = " ".join(
            f"{n * OBJECT / MiB / statistics.median(times[key][n]):6.0f}" for n in counts
        )
        per_round = ", ".join(f"{s:.0f}" for s in slopes[key])
        print(
            f"{LABELS[key]:{width}s}           {rates}   {median(slopes[key]):11.0f}"
            f"  {median(starts[key]):10.2f}   {per_round}"
        )
    med = {key: median(value) for key, value in slopes.items()}
    if any(math.isnan(x) for value in slopes.values() for x in value):
        print(
            f"nan: a run of {hi} objects took no longer than one of {lo}; use counts further apart"
        )

    def ratio(num: str, den: str, note: str) -> None:
        rounds_ratio = ", ".join(
            f"{x / y:.2f}" for x, y in zip(slopes[num], slopes[den], strict=True)
        )
        text = f"{LABELS[num]} / {LABELS[den]}"
        print(f"  {text:44s} {med[num] / med[den]:5.2f}  ({note}; per round {rounds_ratio})")

    print(f"slope ratios ({lo} -> {hi} objects: the start-up cost left out)")
    ratio("put", "bare", "target >= 0.85")
    ratio("put2", "bare", "both cores")
    ratio("put0", "bare", "what the rest of a put costs")
    if "borg" in med:
        ratio("put", "borg", "target >= 2.5")
        ratio("get", "borgx", "reading back")
        whole = statistics.median(times["borg"][lo]) / statistics.median(times["put"][lo])
        print(
            f"put / borg over whole runs of {lo} objects = {whole:.2f}"
            " (borg's start-up included: not a throughput ratio)"
        )
    get_mb = med["get"] * MiB / 1e6
    print(f"get slope {med['get']:.0f} MiB/s = {get_mb:.0f} MB/s (target >= 300 MB/s)")


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
    rates = f"put {size / put_s / MiB:.0f} MiB/s, get {size / get_s / MiB:.0f} MiB/s"
    rss = f"peak RSS {after / 1024:.0f} MiB (was {before / 1024:.0f} MiB before)"
    print(f"{gib:g} GiB streamed object: {rates}, {rss}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--objects",
        type=int,
        nargs="+",
        default=[32, 64, 128],
        help="object counts (at least two): the slope is taken between the smallest and largest",
    )
    parser.add_argument("--big-gib", type=float, default=2.0)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write (default: a temp dir)"
    )
    args = parser.parse_args()
    args.objects = sorted(set(args.objects))
    if len(args.objects) < 2 or args.objects[0] < 1:
        parser.error("--objects: give at least two positive counts (a slope needs two)")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        if args.big_gib:  # first, so that the rounds' buffers do not hide its peak
            big_object(args.big_gib, Path(tmp))
        run_rounds(args, Path(tmp))


if __name__ == "__main__":
    main()
