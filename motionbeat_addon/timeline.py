"""The scene's timeline: frame range, the song as a sound strip, beat and downbeat markers."""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

SONG_TAG = "motionbeat_song"  # custom property on the sound strips this add-on adds
MARKERS_WRITTEN = "motionbeat_markers"  # scene property: "name@frame" of the markers it added


def set_frame_rate(scene: bpy.types.Scene, fps: float) -> None:
    """Set the scene's frame rate to ``fps`` (fractional rates through ``fps_base``)."""
    scene.render.fps = max(1, round(fps))
    scene.render.fps_base = scene.render.fps / fps


def set_frame_range(scene: bpy.types.Scene, n_frames: int, frame_start: int = 1) -> None:
    scene.frame_start = frame_start
    scene.frame_end = frame_start + n_frames - 1
    scene.frame_current = frame_start


def strips(scene: bpy.types.Scene):
    """The scene's sequencer strips (an empty list without a sequence editor)."""
    editor = scene.sequence_editor
    if editor is None:
        return []
    # Blender 4.4 renamed sequences to strips; 5.0's types no longer know the old name.
    return editor.strips if hasattr(editor, "strips") else editor.sequences  # type: ignore[attr-defined]


def add_sound_strip(scene: bpy.types.Scene, song: Path, frame_start: int = 1):
    """The song as a sound strip on the first free channel, starting at ``frame_start``; None,
    and no strip, where Blender is built without audio (the ``bpy`` 4.2 module is)."""
    if not bpy.app.build_options.audaspace:  # type: ignore[attr-defined]  # not in the stubs
        return None
    if scene.sequence_editor is None:
        scene.sequence_editor_create()
    existing = strips(scene)
    channel = 1 + max((strip.channel for strip in existing), default=0)
    strip = existing.new_sound(song.name, str(song), channel, frame_start)
    strip[SONG_TAG] = True
    return strip


def remove_earlier_song_strips(scene: bpy.types.Scene, keep) -> None:
    """Remove the sound strips this add-on added before, except ``keep``; the user's stay."""
    for strip in [s for s in strips(scene) if s.get(SONG_TAG) and s != keep]:
        strips(scene).remove(strip)


def add_beat_markers(
    scene: bpy.types.Scene,
    downbeats: np.ndarray,
    beats: np.ndarray | None,
    fps: float,
    frame_start: int = 1,
) -> None:
    """Markers ``bar N`` at downbeats and, if ``beats`` is given, ``beat`` at the other beats.

    Times are seconds. The markers this add-on wrote before (the scene records them) are
    replaced; the user's own, whatever their names, stay.
    """
    markers = scene.timeline_markers
    ours = set(scene.get(MARKERS_WRITTEN, []))
    for marker in [m for m in markers if f"{m.name}@{m.frame}" in ours]:
        markers.remove(marker)
    written = []
    bar_frames = {frame_start + int(round(t * fps)) for t in downbeats}
    for n, frame in enumerate(sorted(bar_frames), start=1):
        written.append(markers.new(f"bar {n}", frame=frame))
    if beats is not None:
        for frame in sorted({frame_start + int(round(t * fps)) for t in beats} - bar_frames):
            written.append(markers.new("beat", frame=frame))
    scene[MARKERS_WRITTEN] = [f"{m.name}@{m.frame}" for m in written]
