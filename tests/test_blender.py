"""The add-on inside the real Blender (the bpy module from PyPI), registered from source."""

from __future__ import annotations

import numpy as np
import pytest

from core.generate import generate_dance
from core.skeleton import CONTACT_NAMES, JOINT_NAMES
from motionbeat_addon.conversion import to_z_up
from tests.blender_helpers import evaluated_joint_positions, scene_snapshot
from tests.conftest import BAD_SONGS

bpy = pytest.importorskip("bpy")
pytestmark = pytest.mark.blender


@pytest.fixture(scope="module", autouse=True)
def addon():
    import motionbeat_addon

    motionbeat_addon.register()
    yield
    motionbeat_addon.unregister()


@pytest.fixture(autouse=True)
def empty_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)


def generate(song, **kwargs):
    return bpy.ops.motionbeat.generate_dance(filepath=str(song), **kwargs)


def armatures():
    return [o for o in bpy.data.objects if o.type == "ARMATURE"]


def channelbag_fcurves(obj):
    from bpy_extras import anim_utils

    return anim_utils.action_get_channelbag_for_slot(
        obj.animation_data.action, obj.animation_data.action_slot
    ).fcurves


def test_generate_dance_keys_an_smpl_armature_that_reproduces_forward_kinematics(demo_song):
    assert generate(demo_song, seed=2, beat_markers=True) == {"FINISHED"}
    scene = bpy.context.scene
    (armature,) = armatures()
    assert sorted(bone.name for bone in armature.data.bones) == sorted(JOINT_NAMES)
    assert any(o.type == "MESH" and o.parent == armature for o in bpy.data.objects)

    _, motion = generate_dance(demo_song, seed=2, fps=scene.render.fps / scene.render.fps_base)
    assert (scene.frame_start, scene.frame_end) == (1, motion.n_frames)
    fcurves = channelbag_fcurves(armature)
    assert len(fcurves) == 24 * 4 + 3 + 4
    for fcurve in fcurves:
        assert fcurve.range()[:] == pytest.approx((1, motion.n_frames))
    for name in CONTACT_NAMES:
        (contact,) = [f for f in fcurves if f.data_path == f'["contact_{name}"]']
        assert {k.interpolation for k in contact.keyframe_points} == {"CONSTANT"}
    (strip,) = scene.sequence_editor.strips
    assert strip.type == "SOUND" and strip.frame_start == 1
    bars = [m for m in scene.timeline_markers if m.name.startswith("bar ")]
    assert len(bars) == len(motion.downbeats)
    assert len(scene.timeline_markers) == len(motion.beats)

    frames = np.array([0, 1, 37, 200, motion.n_frames // 2, motion.n_frames - 1])
    keyed = evaluated_joint_positions(bpy, armature, frames + 1)
    expected = to_z_up(motion.joint_positions()[frames])
    assert np.abs(keyed - expected).max() < 1e-3  # metres
    scene.frame_set(int(frames[3]) + 1)
    assert armature["contact_left_foot"] == motion.contacts[frames[3], 1]


@pytest.mark.parametrize("fps", [24, 60])
def test_scene_frame_rate_sets_the_dance_frame_rate(demo_song, fps):
    bpy.context.scene.render.fps = fps
    generate(demo_song)
    assert bpy.context.scene.frame_end == pytest.approx(25.0 * fps, abs=1)


@pytest.mark.parametrize("make, message", BAD_SONGS)
def test_bad_song_is_reported_and_the_scene_is_left_as_it_was(tmp_path, make, message):
    folder = tmp_path / "chansons à danser"
    folder.mkdir()
    song = folder / "bad song.wav"
    make(song)
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError, match=message):
        generate(song)
    assert scene_snapshot(bpy) == before


def test_a_selected_non_smpl_armature_is_refused_and_nothing_changes(demo_song):
    data = bpy.data.armatures.new("Rig")
    rig = bpy.data.objects.new("Rig", data)
    bpy.context.scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    rig.select_set(True)
    bpy.ops.object.mode_set(mode="EDIT")
    data.edit_bones.new("Bone").tail = (0, 0, 1)
    bpy.ops.object.mode_set(mode="OBJECT")
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError, match="not an SMPL armature"):
        generate(demo_song)
    assert scene_snapshot(bpy) == before


def generate_twice_on_one_armature(song, **second):
    """Generate, select the new armature and generate on it again with ``second`` settings.

    Returns the armature and its first action."""
    generate(song, seed=0)
    (armature,) = armatures()
    first = armature.animation_data.action
    armature.select_set(True)
    bpy.context.view_layer.objects.active = armature
    generate(song, seed=1, **second)
    return armature, first


def test_generating_again_on_the_selected_armature_keeps_its_previous_action(demo_song):
    armature, first = generate_twice_on_one_armature(demo_song)
    assert armatures() == [armature]
    assert armature.animation_data.action != first
    assert first.name in bpy.data.actions and first.use_fake_user
    assert len([m for m in bpy.context.scene.timeline_markers if m.name.startswith("bar ")]) > 0


@pytest.mark.parametrize("selected", [False, True], ids=["new-armature", "selected-armature"])
def test_a_failure_while_writing_the_dance_leaves_the_scene_as_it_was(
    demo_song, monkeypatch, selected
):
    import motionbeat_addon.dance_scene as dance_scene

    generate(demo_song, seed=0, beat_markers=True)
    (armature,) = armatures()
    first_action = armature.animation_data.action
    armature.select_set(selected)
    bpy.context.view_layer.objects.active = armature if selected else None
    before = scene_snapshot(bpy)

    def markers_then_fail(*args, **kwargs):  # the last step: everything else is written
        real_markers(*args, **kwargs)
        raise OSError("disk full")

    real_markers = dance_scene.add_beat_markers
    monkeypatch.setattr(dance_scene, "add_beat_markers", markers_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(demo_song, seed=1)
    assert scene_snapshot(bpy) == before
    assert armature.animation_data.action == first_action
    assert not first_action.use_fake_user


def test_generate_is_unavailable_in_edit_mode_and_changes_nothing(demo_song):
    generate(demo_song)
    (armature,) = armatures()
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    before = scene_snapshot(bpy)
    assert not bpy.ops.motionbeat.generate_dance.poll()
    with pytest.raises(RuntimeError, match="Switch to Object Mode"):
        generate(demo_song)
    bpy.ops.object.mode_set(mode="OBJECT")
    assert scene_snapshot(bpy) == before


def test_a_linked_armature_is_refused_and_nothing_changes(demo_song, tmp_path):
    generate(demo_song)
    (armature,) = armatures()
    library = tmp_path / "rig library.blend"
    bpy.data.libraries.write(str(library), {armature})
    bpy.ops.wm.read_factory_settings(use_empty=True)
    with bpy.data.libraries.load(str(library), link=True) as (source, target):
        target.objects = list(source.objects)
    (linked,) = [o for o in target.objects if o.type == "ARMATURE"]
    bpy.context.scene.collection.objects.link(linked)
    bpy.context.view_layer.objects.active = linked
    linked.select_set(True)
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError, match="linked from a library"):
        generate(demo_song)
    assert scene_snapshot(bpy) == before


def test_the_worker_job_computes_the_same_dance_as_the_synchronous_path(demo_song, demo_dance):
    from motionbeat_addon.job import GenerationJob

    job = GenerationJob(demo_song, seed=0, fps=30.0).start()
    job.wait(120)
    assert job.done and job.error is None and job.progress > 0.9
    _, motion = job.result
    np.testing.assert_array_equal(motion.poses, demo_dance[1].poses)


def test_a_cancelled_job_yields_nothing_and_a_bad_song_yields_its_error(demo_song, tmp_path):
    from core.errors import AudioLoadError
    from motionbeat_addon.job import GenerationJob

    job = GenerationJob(demo_song, seed=0, fps=30.0).start()
    job.cancel()
    job.wait(120)
    assert job.done and job.result is None and job.error is None
    (tmp_path / "empty.wav").write_bytes(b"")
    bad = GenerationJob(tmp_path / "empty.wav", seed=0, fps=30.0).start()
    bad.wait(120)
    assert isinstance(bad.error, AudioLoadError) and bad.result is None


def test_invoked_headless_the_operator_runs_synchronously(demo_song):
    result = bpy.ops.motionbeat.generate_dance("INVOKE_DEFAULT", filepath=str(demo_song))
    assert result == {"FINISHED"} and len(armatures()) == 1


def test_no_second_generation_starts_while_one_runs(demo_song, monkeypatch):
    import motionbeat_addon.job as jobs

    monkeypatch.setattr(jobs, "running", jobs.GenerationJob(demo_song, seed=0, fps=30.0))
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError, match="being generated"):
        generate(demo_song)
    assert scene_snapshot(bpy) == before


def test_generating_again_may_let_the_previous_action_go_when_asked(demo_song):
    _, first = generate_twice_on_one_armature(demo_song, keep_previous_action=False)
    assert not first.use_fake_user and first.users == 0  # dropped when the file is saved


def test_the_energy_setting_reaches_the_dance(demo_song):
    def spine_keys(energy):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        generate(demo_song, seed=0, energy=energy)
        (curve,) = [
            f
            for f in channelbag_fcurves(armatures()[0])
            if f.data_path == 'pose.bones["spine3"].rotation_quaternion' and f.array_index == 1
        ]
        return np.array([k.co[1] for k in curve.keyframe_points])

    calm, lively = spine_keys(-1.0), spine_keys(1.0)
    assert calm.shape == lively.shape and not np.allclose(calm, lively)


def test_registering_the_add_on_reads_neither_torch_nor_librosa():
    """They load when a dance is generated, so Blender starts quickly and the add-on registers
    even where they are missing."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import sys, motionbeat_addon; motionbeat_addon.register(); "
        "print([m for m in ('torch', 'librosa') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_panel_s_diversity_default_is_the_choreographer_s():
    from core.motion_graph import Controls
    from motionbeat_addon.properties import DIVERSITY

    assert DIVERSITY["default"] == Controls().diversity
