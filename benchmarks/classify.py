"""Speech classification on generated calls: throughput, word error rate, watch-list, language.

    .venv/bin/python benchmarks/classify.py [--minutes 30] [--threads 2] [--dir DIR]

A fixed set of two-direction calls (seeded: the same every run), Spanish and English,
made with espeak-ng (tests/speechgen.py: several speeds and pitches, pauses between turns,
8 kHz G.711 A-law per direction, as assembly stores them) until the calls last
``--minutes`` in total. The scripts plant watch-list terms (drugs, a weapon, money,
places, names, a phone number said digit by digit). Audio is cached under ``--dir`` with
the scripts, so reruns only transcribe.

Each direction's file is transcribed two ways with the same faster-whisper model (Whisper
base, int8, on CPU, ``--threads`` threads):

(a) Custodio's path: ``custodio.classify.speech`` voice activity (webrtcvad ∩ Silero), then
    speech-to-text of the speech segments only (packed into ≤ 28 s windows, word times);
(b) the plain way: ``WhisperModel.transcribe(file, language=..., vad_filter=False)`` on
    the whole file (its defaults: beam 5, temperature fallback, long-form seeking).

Reported: audio hours per CPU-hour (process CPU time, every thread; "audio" is the
direction files, twice the calls' length) and per wall-hour; word error rate against the
script (words folded, punctuation dropped, number words and digits both as digit runs);
watch-list recall and precision on path (a) — a hit is true when the script has the same
term within 2 s of it (the script's own hits, on espeak-ng's word times, are the truth);
spoken-language accuracy per direction with at least 20 s of audio (the call's language
among the default nine).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz.distance import Levenshtein
from tests import speechgen

from custodio import config
from custodio.classify.numbers import spoken_numbers
from custodio.classify.speech.asr import Speech
from custodio.classify.speech.audio import pcm_from_wav
from custodio.classify.speech.model import whisper_model
from custodio.classify.speech.vad import activity
from custodio.classify.text import Word, token
from custodio.classify.watchlist import Term, WatchList, match

LANGUAGES = ("es", "en", "ca", "eu", "gl", "fr", "pt", "ro", "ar")
SPEC = "classify-bench-2"  # change when the scripts or the generation change (2: sox -R)

PLAIN_ES = [
    "Hola, ¿qué tal? ¿Cómo está tu familia?",
    "Todo bien, gracias. Los niños están en el colegio.",
    "¿Tienes el dinero preparado para el viernes?",
    "Sí, pero necesito un poco más de tiempo.",
    "Vale, no hay problema. Llámame cuando puedas.",
    "El coche está aparcado delante de la estación.",
    "Mi hermano trabaja en el puerto desde hace dos años.",
    "Oye, ¿has hablado con el abogado?",
    "No, todavía no. Mañana por la mañana le llamo.",
    "No me gusta hablar de esto por teléfono.",
    "Perfecto, hasta luego.",
    "Esta semana no puedo, tengo mucho trabajo en la oficina.",
    "Mi madre está en el hospital, la operan el lunes.",
    "¿Quieres que vayamos a cenar el sábado por la noche?",
]
PLANTED_ES = [
    "Hicimos la transferencia al banco de Sevilla por la tarde.",
    "Esconde la pistola en el garaje antes de que llegue la policía.",
    "El paquete de cocaína llega mañana en el barco.",
    "Apunta mi número: seis, cero, cero, uno, dos, tres, cuatro, cinco, seis.",
    "Nos vemos el martes en Valencia a las nueve de la noche.",
    "Dile a Ramírez que la mercancía está en el almacén.",
    "El envío de hachís sale desde Algeciras el jueves.",
]
PLAIN_EN = [
    "Hello, how are you? How is the family?",
    "Everything is fine, thanks. The kids are at school.",
    "Did you talk to the lawyer yesterday?",
    "Not yet, I will call him tomorrow morning.",
    "The car is parked in front of the station.",
    "My brother has worked at the port for two years.",
    "I don't like talking about this on the phone.",
    "Okay, no problem, call me when you can.",
    "Right, see you later.",
    "I can't this week, there is too much work at the office.",
    "Do you want to have dinner on Saturday night?",
]
PLANTED_EN = [
    "The shipment of cocaine arrives in Liverpool on Tuesday night.",
    "Send the money by bank transfer before Friday.",
    "Hide the gun in the garage, the police are coming.",
    "Tell Johnson that the goods are in the warehouse.",
    "Meet me in Manchester next week, near the stadium.",
]
WATCH = WatchList(
    (
        Term("cocaína"), Term("transferencia"), Term("pistola"), Term("mercancía"),
        Term("hachís"), Term("Sevilla", "place"), Term("Valencia", "place"),
        Term("Algeciras", "place"), Term("Ramírez", "name"), Term("600123456", "number"),
        Term("cocaine"), Term("transfer"), Term("gun"), Term("warehouse"),
        Term("Liverpool", "place"), Term("Manchester", "place"), Term("Johnson", "name"),
    )
)  # fmt: skip
PER_TERM: dict[str, list[int]] = {}  # term -> [planted, found at its place]
VOICES = {"es": ("es",), "en": ("en", "en-us")}


@dataclass
class Sample:
    """One direction of one generated call."""

    name: str
    language: str
    wav: Path
    duration: float
    script: list[Word]


def make_calls(minutes: float, directory: Path) -> list[Sample]:
    """The fixed calls (generated once into ``directory``), per direction."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = directory / f"{SPEC}-{minutes:g}.json"
    if manifest.exists():
        rows = json.loads(manifest.read_text())
        return [
            Sample(r["name"], r["language"], Path(r["wav"]), r["duration"],
                   [Word(t, s, e) for t, s, e in r["script"]])
            for r in rows
        ]  # fmt: skip
    rng = random.Random(20261129)
    samples: list[Sample] = []
    total, number = 0.0, 0
    while total < minutes * 60:
        language = "es" if number % 5 in (0, 1, 3) else "en"
        plain, planted = (PLAIN_ES, PLANTED_ES) if language == "es" else (PLAIN_EN, PLANTED_EN)
        voice = rng.choice(VOICES[language])
        pitches = {"a": rng.randint(30, 50), "b": rng.randint(55, 75)}
        speeds = {"a": rng.choice((140, 150, 160, 170)), "b": rng.choice((140, 150, 160, 170))}
        turns = []
        for i in range(rng.randint(8, 16)):
            side = "ab"[i % 2]
            text = rng.choice(planted) if rng.random() < 0.4 else rng.choice(plain)
            pause = rng.choice((0.3, 0.5, 0.8, 1.2, 2.0)) + (
                rng.uniform(3, 8) if rng.random() < 0.15 else 0
            )
            turns.append(speechgen.Turn(side, text, voice, pause, speeds[side], pitches[side]))
        made = speechgen.call(turns, noise_db=rng.choice((None, -55.0, -48.0)), seed=number)
        for side in "ab":
            path = directory / f"call{number:03d}-{side}.wav"
            path.write_bytes(made.wav[side])
            script = [Word(w.text, w.start, w.end) for w in made.words[side]]
            samples.append(
                Sample(f"call{number:03d}-{side}", language, path, made.duration, script)
            )
        total += made.duration
        number += 1
    manifest.write_text(json.dumps([
        {"name": s.name, "language": s.language, "wav": str(s.wav), "duration": s.duration,
         "script": [(w.text, w.start, w.end) for w in s.script]}
        for s in samples
    ]))  # fmt: skip
    return samples


def normalised(words: list[str]) -> list[str]:
    """Folded words without punctuation; each run of number words or digits as its digits."""
    toks = [t for w in words for t in token(w).replace("-", " ").split() if t]
    runs = {r.start: r for r in spoken_numbers(toks)}
    out: list[str] = []
    i = 0
    while i < len(toks):
        if i in runs:
            out.append(runs[i].digits)
            i = runs[i].end
        else:
            out.append(toks[i])
            i += 1
    return [t for t in out if t]


def edits(reference: list[str], hypothesis: list[str]) -> int:
    return int(Levenshtein.distance(normalised(reference), normalised(hypothesis)))


def watch_counts(
    script: list[Word], words: list[Word], misses: bool = False
) -> tuple[int, int, int]:
    """(planted, found, true) watch-list hits: a hit is true near a script hit of its term.

    With ``misses``, each planted term not found is printed with the words heard there.
    """
    truth = [(h.value, h.start_s or 0.0) for h in match(script, WATCH)]
    hits = [(h.value, h.start_s or 0.0) for h in match(words, WATCH)]
    unused = list(truth)
    true = 0
    for value, _ in truth:
        PER_TERM.setdefault(value, [0, 0])[0] += 1
    for value, at in hits:
        near = [t for t in unused if t[0] == value and abs(t[1] - at) <= 2.0]
        if near:
            unused.remove(near[0])
            true += 1
            PER_TERM[value][1] += 1
        elif misses:
            heard = " ".join(w.text for w in words if abs((w.start or 0.0) - at) <= 2.0)
            print(f"  false {value!r} at {at:.1f} s, heard: {heard}")
    for value, at in unused if misses else []:
        span = (-1.0, 6.0) if value.isdigit() else (-2.0, 2.0)  # a number is said slowly
        heard = " ".join(w.text for w in words if span[0] <= (w.start or 0.0) - at <= span[1])
        print(f"  missed {value!r} at {at:.1f} s, heard: {heard}")
    return len(truth), len(hits), true


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="calls' total length")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--hotwords", action="store_true", help="give the watch-list's terms to the decoder"
    )
    parser.add_argument(
        "--no-plain", action="store_true", help="skip the plain faster-whisper call"
    )
    parser.add_argument(
        "--misses", action="store_true", help="print each missed term and the words heard"
    )
    parser.add_argument("--dir", type=Path, default=Path("/tmp/custodio-bench-classify"))
    args = parser.parse_args()

    t0 = time.monotonic()
    samples = make_calls(args.minutes, args.dir / "audio")
    calls = len({s.name[:-2] for s in samples})
    call_s = sum(s.duration for s in samples) / 2
    print(f"{calls} calls, {call_s / 60:.1f} min of calls, {2 * call_s / 60:.1f} min of direction "
          f"audio ({sum(s.language == 'es' for s in samples) // 2} es, "
          f"{sum(s.language == 'en' for s in samples) // 2} en); "
          f"made/loaded in {time.monotonic() - t0:.0f} s", flush=True)  # fmt: skip

    files = whisper_model(config.defaults(args.dir / "data"))
    speech = Speech(files, threads=args.threads, segment_timeout_s=30)
    model = speech._model  # the same loaded model for the plain way
    hot = [term.text for term in WATCH.terms if term.kind != "number"] if args.hotwords else []
    print(speech.version, flush=True)

    cpu = {"vad+asr": 0.0, "plain": 0.0, "language": 0.0}
    wall = dict.fromkeys(cpu, 0.0)
    err = {"vad+asr": 0, "plain": 0}
    ref_words = 0
    planted = found = true = 0
    lang_ok = lang_n = 0
    flags: dict[str, int] = {}
    for n, sample in enumerate(samples, 1):
        data = sample.wav.read_bytes()
        ref = [w.text for w in sample.script]
        ref_words += len(normalised(ref))

        c, w = time.process_time(), time.monotonic()
        pcm = pcm_from_wav(data)
        act = activity(pcm)
        transcript = speech.transcribe(pcm, act.segments, sample.language, hotwords=hot)
        cpu["vad+asr"] += time.process_time() - c
        wall["vad+asr"] += time.monotonic() - w
        err["vad+asr"] += edits(ref, [x.text for x in transcript.words])
        for seg in transcript.segments:
            if seg.flag:
                flags[seg.flag] = flags.get(seg.flag, 0) + 1
        p, f, t = watch_counts(sample.script, list(transcript.words), args.misses)
        planted, found, true = planted + p, found + f, true + t

        if sample.duration >= 20 and not act.silent:
            c, w = time.process_time(), time.monotonic()
            detected, _ = speech.detect_language(pcm, act.segments, LANGUAGES)
            cpu["language"] += time.process_time() - c
            wall["language"] += time.monotonic() - w
            lang_n += 1
            lang_ok += detected == sample.language

        if not args.no_plain:
            c, w = time.process_time(), time.monotonic()
            segments, _ = model.transcribe(
                str(sample.wav), language=sample.language, vad_filter=False
            )
            plain = " ".join(s.text for s in segments)
            cpu["plain"] += time.process_time() - c
            wall["plain"] += time.monotonic() - w
            err["plain"] += edits(ref, plain.split())
        if n % 10 == 0 or n == len(samples):
            done = sum(x.duration for x in samples[:n])
            print(f"\n-- after {n}/{len(samples)} directions ({done / 60:.1f} min of audio)")
            report(
                done, cpu, wall, err, ref_words, (planted, found, true), (lang_ok, lang_n), flags
            )


def report(
    audio_s: float,
    cpu: dict[str, float],
    wall: dict[str, float],
    err: dict[str, int],
    ref_words: int,
    watch: tuple[int, int, int],
    lang: tuple[int, int],
    flags: dict[str, int],
) -> None:
    planted, found, true = watch
    lang_ok, lang_n = lang
    hours = audio_s / 3600
    print(f"{'path':<10} {'audio h':>8} {'CPU s':>8} {'wall s':>8} {'audio h/CPU h':>14} "
          f"{'audio h/wall h':>15} {'WER':>6}")  # fmt: skip
    for path in ("vad+asr", "plain"):
        if not cpu[path]:
            continue
        print(f"{path:<10} {hours:8.3f} {cpu[path]:8.0f} {wall[path]:8.0f} "
              f"{audio_s / cpu[path]:14.2f} {audio_s / wall[path]:15.2f} "
              f"{err[path] / ref_words:6.1%}")  # fmt: skip
    if cpu["plain"]:
        print(f"ratio vad+asr / plain (audio h per CPU h): {cpu['plain'] / cpu['vad+asr']:.2f}x")
    print(
        f"language detection: {cpu['language']:.0f} CPU s for {lang_n} directions "
        f"(audio h per CPU h with it: {audio_s / (cpu['vad+asr'] + cpu['language']):.2f})"
    )
    print(
        f"watch-list: {planted} planted, {found} hits, {true} true: "
        f"recall {true / max(planted, 1):.3f}, precision {true / max(found, 1):.3f}"
    )
    print(
        f"spoken language correct: {lang_ok}/{lang_n} = {lang_ok / max(lang_n, 1):.1%} "
        "(directions ≥ 20 s, among the nine default languages)"
    )
    terms = ", ".join(f"{t} {f}/{p}" for t, (p, f) in sorted(PER_TERM.items()))
    print(f"per term (found/planted): {terms}")
    print(f"segments flagged: {flags or 'none'}", flush=True)


if __name__ == "__main__":
    main()
