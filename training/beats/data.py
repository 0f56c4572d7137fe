"""Training data for the beat tracker: audio with exact beat and downbeat labels.

Three sources (``../shared/data/README.md``):

- the 67 Freedoom MIDI files rendered with fluidsynth and the FluidR3 General MIDI soundfont
  (Debian: ``fluidsynth fluid-soundfont-gm``), labels from ``beats/midi/beats.json``. Each song is
  rendered as written, without drums, and three times re-scored: tempo scaled by 0.8-1.25 (the
  labels scale with it), other General MIDI programs, another gain and added noise;
- the annotated audio in ``beats/``: LMMS renders with their constant-tempo beat grids, tracker
  modules with the player's row log (less 7 songs whose labelled beats are not heard,
  ``recorded_songs``) and Hydrogen drum-machine songs;
- synthetic drum patterns in 3/4 and 4/4 from the Hydrogen kits in ``drumkits/``.

Songs are split by a hash of their name (one in five held out for validation), so every
variant of a song falls on the same side. MIDI songs whose labelled beats are not the music's
(``labels_are_heard``) are in neither split. Features (``core.beats.network.log_mel_flux``) are
cached per song and variant, so rendering happens once.

    python -m training.beats.data --out DIR    # the validation songs + beats.json, per set
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import librosa
import mido
import numpy as np
import soundfile

from core.atomic import atomic_write
from core.audio.decode import load_audio, mono_at
from core.beats.beat_track import median_tempo
from core.beats.decoder import MAX_BPM, MIN_BPM
from core.beats.network import BeatNetConfig, log_mel_flux
from core.errors import MotionBeatError, report_error
from training.shared_data import SHARED_DATA

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "beat_data"
VALIDATION_EVERY = 5  # one song in five, by name hash
DRUM_CHANNEL = 9  # General MIDI percussion (channel 10, counted from 1)
RESCORINGS = 3
DRUM_PATTERNS = 60
DRUM_PATTERN_S = 40.0
MIN_GRID_FRACTION = 0.5  # see labels_are_heard
RECORDED_SETS = ("lmms", "modules", "hydrogen")  # annotated audio in ../shared/data/beats
MIN_ON_BEAT_RATIO = 0.9  # see recorded_songs
# The tracker modules under MIN_ON_BEAT_RATIO (``recorded_songs``; tests/test_beat_training.py
# recomputes them): listed, so that no training run decodes every song to find them.
NOT_HEARD = frozenset(
    f"modules__{song}"
    for song in (
        "bomberclone__mario_is_a_weenie", "circuslinux__finally", "circuslinux__hiscore",
        "pingus__gd-matth", "pingus__gd-myla", "pingus__rough_journey",
        "tecnoballz__termigator_reg-zbb",
    )
)  # fmt: skip


class BeatDataError(MotionBeatError):
    """Training data cannot be made: a missing tool, soundfont or data folder."""


@dataclass(frozen=True)
class Variant:
    """How one rendering of a MIDI song differs from the file."""

    name: str
    tempo_scale: float = 1.0
    program_seed: int | None = None  # re-draw every non-drum program from this seed
    drop_drums: bool = False
    gain: float = 0.5  # fluidsynth -g, as beats.json's renders
    noise_db: float | None = None  # white noise this far below the song's RMS


@dataclass(frozen=True)
class Example:
    """features : (T, n_features) float16 at the tracker's fps; beats, downbeats : seconds."""

    name: str
    features: np.ndarray
    beats: np.ndarray
    downbeats: np.ndarray


def is_validation(song: str) -> bool:
    return zlib.crc32(song.encode()) % VALIDATION_EVERY == 0


def midi_variants(song: str) -> list[Variant]:
    """The song as written, without drums, and three re-scorings (the last without drums)."""
    rng = np.random.default_rng(zlib.crc32(song.encode()))
    rescored = [
        Variant(
            f"rescored{i}" if i else "rescored",
            tempo_scale=float(np.exp(rng.uniform(np.log(0.8), np.log(1.25)))),
            program_seed=int(rng.integers(1 << 31)),
            gain=float(rng.uniform(0.2, 0.9)),
            noise_db=float(rng.uniform(15.0, 40.0)),
            drop_drums=i == RESCORINGS - 1,
        )
        for i in range(RESCORINGS)
    ]
    return [Variant("plain"), Variant("nodrums", drop_drums=True), *rescored]


def rewrite_midi(source: Path, target: Path, variant: Variant) -> None:
    """Write ``source`` with ``variant``'s tempo scale, programs and drums applied."""
    song = mido.MidiFile(source)
    rng = np.random.default_rng(variant.program_seed) if variant.program_seed is not None else None
    programs: dict[int, int] = {}
    has_tempo = False
    for track in song.tracks:
        kept = []
        carry = 0  # delta ticks of dropped messages pass to the next kept one
        for msg in track:
            channel = getattr(msg, "channel", None)
            if (
                variant.drop_drums
                and channel == DRUM_CHANNEL
                and msg.type in ("note_on", "note_off")
            ):
                carry += msg.time
                continue
            if msg.type == "set_tempo":
                has_tempo = True
                msg = msg.copy(tempo=max(1, round(msg.tempo / variant.tempo_scale)))
            elif msg.type == "program_change" and rng is not None and channel != DRUM_CHANNEL:
                # Programs 0-95: instruments; 96 on are sound effects and synth pads.
                msg = msg.copy(program=programs.setdefault(msg.program, int(rng.integers(96))))
            kept.append(msg.copy(time=msg.time + carry))
            carry = 0
        track[:] = kept
    if not has_tempo:  # MIDI's default is 120 BPM
        tempo = round(mido.bpm2tempo(120) / variant.tempo_scale)
        song.tracks[0].insert(0, mido.MetaMessage("set_tempo", tempo=tempo, time=0))
    song.save(target)


def render_midi(midi: Path, variant: Variant, sample_rate: int) -> np.ndarray:
    """(n,) float32 mono audio of ``midi`` as ``variant`` changes it.

    Raises BeatDataError if fluidsynth or the soundfont is missing.
    """
    if shutil.which("fluidsynth") is None or not SOUNDFONT.is_file():
        raise BeatDataError(
            f"rendering MIDI needs fluidsynth and {SOUNDFONT} "
            "(Debian: apt install fluidsynth fluid-soundfont-gm)"
        )
    with tempfile.TemporaryDirectory() as scratch:
        rewritten, wav = Path(scratch) / "song.mid", Path(scratch) / "song.wav"
        rewrite_midi(midi, rewritten, variant)
        command = ["fluidsynth", "-ni", "-q", "-F", str(wav), "-r", str(sample_rate)]
        command += ["-g", str(variant.gain), str(SOUNDFONT), str(rewritten)]
        subprocess.run(command, check=True, capture_output=True)
        audio, _ = soundfile.read(wav, dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if variant.noise_db is not None:
        rng = np.random.default_rng(zlib.crc32(f"{midi.stem}{variant.name}".encode()))
        rms = float(np.sqrt(np.mean(audio**2))) + 1e-9
        audio = audio + rng.normal(0, rms * 10 ** (-variant.noise_db / 20), len(audio))
    return audio.astype(np.float32)


def _cached(name: str, make, config: BeatNetConfig, cache: Path) -> Example:
    """Load ``name`` from the cache, or run ``make() -> (audio, beats, downbeats)`` and store it."""
    path = cache / f"{name}.npz"
    if not path.is_file():
        audio, beats, downbeats = make()
        features = log_mel_flux(audio, config).astype(np.float16)
        with atomic_write(path) as fh:
            np.savez(fh, features=features, beats=beats, downbeats=downbeats)
    with np.load(path, allow_pickle=False) as f:
        return Example(name, f["features"], f["beats"], f["downbeats"])


def _midi_example(args: tuple) -> Example:
    song, entry, variant, config, cache = args
    midi = SHARED_DATA / "beats" / "midi" / entry["midi"]

    def make():
        scale = variant.tempo_scale
        audio = render_midi(midi, variant, config.sample_rate)
        beats = np.asarray(entry["beats"]) / scale
        return audio, beats, np.asarray(entry["downbeats"]) / scale

    return _cached(f"{song}__{variant.name}", make, config, cache)


def grid_fraction(midi: Path) -> float:
    """Share of the file's note onsets within a tenth of a step of its sixteenth or triplet grid.

    Near 1 for a score written on its beat grid; about 0.3 (chance) for the Freedoom files
    converted from Doom's MUS format, whose 89 ticks per beat at 95 BPM are MUS's 140 Hz clock,
    not the music's beat, so the beats that ``beats.json`` derives from them are not heard.
    """
    song = mido.MidiFile(midi)
    onsets = []
    for track in song.tracks:
        ticks = 0
        for message in track:
            ticks += message.time
            if message.type == "note_on" and message.velocity > 0:
                onsets.append(ticks)
    in_beats = np.asarray(onsets, dtype=float) / song.ticks_per_beat
    on_grid = np.zeros(len(in_beats), dtype=bool)
    for steps_per_beat in (4, 3):
        phase = (in_beats * steps_per_beat) % 1.0
        on_grid |= np.minimum(phase, 1.0 - phase) < 0.1
    return float(on_grid.mean()) if len(on_grid) else 0.0


def labels_are_heard(entry: dict) -> bool:
    """Whether a ``beats.json`` entry's beats are the music's: notes on the grid, tempo in range.

    Leaves out 12 of the 67 songs: the 10 MUS conversions and BUNNY, whose notes do not follow
    their grid (``grid_fraction`` at most 0.45, against at least 0.62 for every other song), and
    ROMER2, whose 6/4 is labelled in dotted halves at 28 BPM, below any tempo the tracker covers.
    """
    tempo = median_tempo(np.asarray(entry["beats"]))
    midi = SHARED_DATA / "beats" / "midi" / entry["midi"]
    return MIN_BPM <= tempo <= MAX_BPM and grid_fraction(midi) >= MIN_GRID_FRACTION


def midi_jobs(config: BeatNetConfig, validation: bool, cache: Path = CACHE) -> list[tuple]:
    labels = json.loads((SHARED_DATA / "beats" / "midi" / "beats.json").read_text())
    variants = (lambda song: [Variant("plain")]) if validation else midi_variants
    return [
        (song, entry, variant, config, cache)
        for song, entry in sorted(labels.items())
        if is_validation(song) == validation and labels_are_heard(entry)
        for variant in variants(song)
    ]


def on_beat_ratio(audio: np.ndarray, beats: np.ndarray, sample_rate: int) -> float:
    """Mean onset strength (librosa's spectral flux, hop 256, peak within 23 ms) at the labelled
    beats over that at the half beats between them. beats : (n,) seconds, n >= 2."""
    hop = 256
    envelope = librosa.onset.onset_strength(y=audio, sr=sample_rate, hop_length=hop)

    def strength(times: np.ndarray) -> float:
        frames = np.clip(np.round(times * sample_rate / hop).astype(int), 0, len(envelope) - 1)
        near = np.clip(frames[:, None] + np.arange(-2, 3)[None, :], 0, len(envelope) - 1)
        return float(envelope[near].max(axis=1).mean())

    return strength(beats) / max(strength(beats[:-1] + np.diff(beats) / 2), 1e-9)


def recorded_songs(validation: bool) -> Iterator[tuple[str, Path, dict]]:
    """The annotated audio of one split, ``(name, audio path, beats.json entry)``, from every
    set in ``RECORDED_SETS``, less the songs whose labelled beats are not heard: on the tracker
    modules the beat grid comes from the player's row log, and on 7 of the 48 the onsets fall
    between the labelled beats more than on them (``on_beat_ratio`` under
    ``MIN_ON_BEAT_RATIO``: mario_is_a_weenie 0.67, finally 0.53, hiscore 0.77, gd-matth 0.89,
    gd-myla 0.87, rough_journey 0.88, termigator 0.87). The LMMS and Hydrogen grids come from
    the songs' own tempo and are exact: the ratio audits noisy labels and does not judge those
    (swung drums put GM_kit_Jazzy at 0.66)."""
    for kind in RECORDED_SETS:
        folder = SHARED_DATA / "beats" / kind
        for song, entry in sorted(json.loads((folder / "beats.json").read_text()).items()):
            if is_validation(song) != validation or f"{kind}__{song}" in NOT_HEARD:
                continue
            yield f"{kind}__{song}", folder / entry["audio"], entry


def recorded_examples(
    config: BeatNetConfig, validation: bool, cache: Path = CACHE
) -> list[Example]:
    examples = []
    for name, path, entry in recorded_songs(validation):

        def make(path=path, entry=entry):
            audio = load_audio(path, config.sample_rate)
            return audio, np.asarray(entry["beats"]), np.asarray(entry["downbeats"])

        examples.append(_cached(name, make, config, cache))
    return examples


def _drum_kit(folder: Path, sample_rate: int) -> dict[str, list[np.ndarray]]:
    """One-shot samples of a Hydrogen kit by role, from their file names."""
    roles = {"kick": ("kick",), "snare": ("snare", "clap"), "hat": ("hat", "shaker", "ride")}
    kit: dict[str, list[np.ndarray]] = {role: [] for role in roles}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".wav", ".flac"):
            continue
        for role, words in roles.items():
            if any(word in path.stem.lower() for word in words):
                samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
                kit[role].append(mono_at(samples, rate, sample_rate))
    return kit


def drum_pattern(kit: dict, rng: np.random.Generator, sample_rate: int) -> tuple:
    """A drum loop with random tempo (60-200 BPM), meter (3 or 4) and silence before it: a kick
    on every downbeat (and, half the time, on beat 3 of 4/4), snares on the other beats of 3/4
    and the backbeats of 4/4, and eighth-note hats with some left out.

    Returns ``(audio, beats, downbeats)``.
    """
    meter = int(rng.choice([3, 4]))
    period = 60.0 / rng.uniform(60.0, 200.0)
    lead_in = rng.uniform(0.0, 3.0)
    n_beats = int((DRUM_PATTERN_S - lead_in) / period)
    audio = np.zeros(int(DRUM_PATTERN_S * sample_rate) + sample_rate, dtype=np.float32)

    def hit(role: str, time: float, level: float) -> None:
        sample = kit[role][int(rng.integers(len(kit[role])))] * level
        start = int(time * sample_rate)
        stop = min(len(audio), start + len(sample))
        audio[start:stop] += sample[: stop - start]

    beats = lead_in + period * np.arange(n_beats)
    for i, beat in enumerate(beats):
        position = i % meter
        if position == 0:
            hit("kick", beat, rng.uniform(0.8, 1.0))
        elif (meter == 4 and position in (1, 3)) or (meter == 3 and position > 0):
            hit("snare", beat, rng.uniform(0.5, 0.9))
        if position == 2 and meter == 4 and rng.random() < 0.5:
            hit("kick", beat, rng.uniform(0.6, 0.9))
        for half in (0.0, 0.5):
            if rng.random() < 0.8:
                hit("hat", beat + half * period, rng.uniform(0.2, 0.5))
    audio /= max(1e-6, float(np.abs(audio).max()))
    return audio, beats, beats[::meter]


def drum_examples(config: BeatNetConfig, cache: Path = CACHE) -> list[Example]:
    """``DRUM_PATTERNS`` loops, alternating between the two kits (training split only)."""
    kits_folder = SHARED_DATA / "drumkits"
    kits = [folder for folder in sorted(kits_folder.iterdir()) if folder.is_dir()]
    loaded: dict[Path, dict] = {}
    examples = []
    for i in range(DRUM_PATTERNS):
        folder = kits[i % len(kits)]

        def make(folder=folder, i=i):
            if folder not in loaded:
                loaded[folder] = _drum_kit(folder, config.sample_rate)
            return drum_pattern(loaded[folder], np.random.default_rng(i), config.sample_rate)

        examples.append(_cached(f"drums__{i:03d}", make, config, cache))
    return examples


def beat_examples(
    config: BeatNetConfig, validation: bool, workers: int = 2, cache: Path = CACHE
) -> list[Example]:
    """Every example of one split. Raises BeatDataError if the shared data is absent."""
    if not (SHARED_DATA / "beats").is_dir():
        raise BeatDataError(f"no beat data at {SHARED_DATA / 'beats'}")
    with ProcessPoolExecutor(workers) as pool:
        examples = list(pool.map(_midi_example, midi_jobs(config, validation, cache)))
    examples += recorded_examples(config, validation, cache)
    if not validation:
        examples += drum_examples(config, cache)
    return examples


def validation_songs() -> Iterator[tuple[str, str, np.ndarray, dict]]:
    """Validation songs as audio: ``(set, name, (n,) float32 at 22.05 kHz, beats.json entry)``;
    the sets are "midi" and ``RECORDED_SETS``."""
    config = BeatNetConfig()
    for song, entry, variant, _, _ in midi_jobs(config, validation=True):
        midi = SHARED_DATA / "beats" / "midi" / entry["midi"]
        yield "midi", song, render_midi(midi, variant, config.sample_rate), entry
    for name, path, entry in recorded_songs(validation=True):
        kind, song = name.split("__", 1)
        yield kind, song, load_audio(path, config.sample_rate), entry


def write_validation_folder(out: Path) -> Path:
    """Write the validation songs as FLAC with their labels as ``beats.json`` (the LMMS form), a
    folder per set (``out/midi``, ``out/lmms``, ...), so that ``training.beats.evaluate
    out/*`` scores each set apart."""
    labels: dict[str, dict] = {}
    for kind, song, audio, entry in validation_songs():
        folder = out / kind
        folder.mkdir(parents=True, exist_ok=True)
        soundfile.write(folder / f"{song}.flac", audio, BeatNetConfig().sample_rate)
        labels.setdefault(kind, {})[song] = {
            "audio": f"{song}.flac",
            "beats": entry["beats"],
            "downbeats": entry["downbeats"],
            "beats_per_bar": labelled_beats_per_bar(entry),
        }
    for kind, songs in labels.items():
        (out / kind / "beats.json").write_text(json.dumps(songs))
    return out


def labelled_beats_per_bar(entry: dict) -> int:
    """The labelled meter: given, or the MIDI file's first time signature, or else the median
    count of labelled beats from one downbeat to the next (the tracker modules')."""
    if "beats_per_bar" in entry:
        return int(entry["beats_per_bar"])
    if entry.get("time_signatures"):
        return int(entry["time_signatures"][0][1])
    beats, downbeats = np.asarray(entry["beats"]), np.asarray(entry["downbeats"])
    if len(downbeats) < 2:
        return 4
    return int(np.median(np.diff(np.searchsorted(beats, downbeats - 1e-3))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the validation songs")
    args = parser.parse_args()
    try:
        print(write_validation_folder(args.out))
    except (MotionBeatError, OSError, KeyboardInterrupt) as exc:
        return report_error("beat_data", exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
