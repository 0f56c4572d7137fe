"""The add-on inside the real Blender (the bpy module from PyPI), registered from source."""

from __future__ import annotations

import numpy as np
import pytest

from core.body.skeleton import CONTACT_NAMES, JOINT_NAMES
from core.generate import generate_dance
from motionbeat_addon.conversion import to_z_up
from motionbeat_addon.timeline import strips
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


def test_a_selected_armature_that_is_not_active_is_the_one_animated(demo_song):
    generate(demo_song, seed=0)
    (armature,) = armatures()
    bpy.ops.object.select_all(action="DESELECT")
    armature.select_set(True)
    bpy.context.view_layer.objects.active = None
    generate(demo_song, seed=1)
    assert armatures() == [armature]


def test_generating_again_replaces_the_add_on_s_song_and_markers_and_keeps_the_user_s(demo_song):
    scene = bpy.context.scene
    scene.timeline_markers.new("beat", frame=7)  # the user's own, named as the add-on's
    scene.timeline_markers.new("bar 1", frame=9)
    armature, _ = generate_twice_on_one_armature(demo_song)
    generate(demo_song, seed=2)  # still selected: a third dance on the same armature
    assert armatures() == [armature]
    ours = [s for s in strips(scene) if s.get("motionbeat_song")]
    assert len(ours) == int(bpy.app.build_options.audaspace)  # one song strip, not one a run
    assert {("beat", 7), ("bar 1", 9)} <= {(m.name, m.frame) for m in scene.timeline_markers}
    bars = [m for m in scene.timeline_markers if m.name.startswith("bar ")]
    assert len(bars) == len({m.name for m in bars}) + 1  # the user's "bar 1" and ours


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


def test_the_energy_setting_reaches_the_dance_in_its_direction(demo_song):
    """Livelier keys move the bones further from frame to frame than calmer ones."""

    def key_motion(energy):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        generate(demo_song, seed=0, energy=energy)
        curves = [
            f
            for f in channelbag_fcurves(armatures()[0])
            if f.data_path.endswith("rotation_quaternion")
        ]
        keys = np.array([[k.co[1] for k in f.keyframe_points] for f in curves])
        return np.abs(np.diff(keys, axis=1)).mean()

    assert key_motion(1.0) > 1.1 * key_motion(-1.0)


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


def test_the_panel_s_defaults_are_the_choreographer_s():
    from core.choreography.motion_graph import Controls
    from motionbeat_addon.properties import ACCENT, DIVERSITY, ENERGY

    assert DIVERSITY["default"] == Controls().diversity
    assert ENERGY["default"] == Controls().energy
    assert ACCENT["default"] == Controls().accent


@pytest.fixture
def preferences():
    """The add-on enabled the way Blender enables it, so that it has preferences."""
    import addon_utils

    import motionbeat_addon

    motionbeat_addon.unregister()
    addon_utils.enable("motionbeat_addon", default_set=True)
    yield bpy.context.preferences.addons["motionbeat_addon"].preferences
    addon_utils.disable("motionbeat_addon", default_set=True)
    motionbeat_addon.register()


def calm_library(path):
    """The procedural library's calm segments only, saved as a library of their own."""
    from dataclasses import replace

    from core.choreography.library import MotionLibrary, built_in_library

    full = built_in_library("procedural")
    keep = [i for i, tags in enumerate(full.tag_sets) if "calm" in tags]
    per_segment = ("spans", "beats", "embeddings", "energy", "names", "tags")
    per_segment += ("mirror_embeddings", "mirrorable")
    saved = replace(full, **{name: getattr(full, name)[keep] for name in per_segment}).save(path)
    return saved, MotionLibrary.load(saved)


def test_preferences_choose_the_frame_rate_and_the_motion_library(preferences, demo_song, tmp_path):
    from motionbeat_addon.preferences import Assets, assets

    assert assets(bpy.context) == Assets()
    path, library = calm_library(tmp_path / "calm.npz")
    preferences.motion_library = str(path)
    preferences.default_fps = 24
    bpy.context.scene.render.fps = 30
    assert assets(bpy.context) == Assets(motion_library=str(path), fps=24)
    assert generate(demo_song, seed=1) == {"FINISHED"}
    scene = bpy.context.scene
    assert scene.render.fps == 24
    _, expected = generate_dance(demo_song, seed=1, fps=24, library=library)
    assert scene.frame_end == expected.n_frames
    frames = np.linspace(0, expected.n_frames - 1, 8).astype(int)
    keyed = evaluated_joint_positions(bpy, armatures()[0], frames + 1)
    assert np.abs(keyed - to_z_up(expected.joint_positions()[frames])).max() < 1e-3


def test_a_bad_music_encoder_in_the_preferences_is_reported_and_nothing_changes(
    preferences, demo_song, tmp_path
):
    (tmp_path / "encoder.npz").write_bytes(b"not an encoder")
    preferences.music_encoder = str(tmp_path / "encoder.npz")
    preferences.default_fps = 25
    bpy.context.scene.render.fps = 30
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError, match="encoder.npz"):
        generate(demo_song)
    assert scene_snapshot(bpy) == before and bpy.context.scene.render.fps == 30


def test_the_exported_npz_is_the_dance_that_was_generated(demo_song, tmp_path):
    from core.body.motion import Motion
    from motionbeat_addon.export import export_dance

    generate(demo_song, seed=2, beat_markers=True)
    scene = bpy.context.scene
    fps = scene.render.fps / scene.render.fps_base
    exported = Motion.load_npz(export_dance(bpy.context, armatures()[0], tmp_path / "d.npz"))
    _, motion = generate_dance(demo_song, seed=2, fps=fps)
    assert exported.n_frames == motion.n_frames and exported.fps == pytest.approx(fps)
    np.testing.assert_allclose(exported.joint_positions(), motion.joint_positions(), atol=1e-4)
    np.testing.assert_allclose(exported.trans, motion.trans, atol=1e-5)
    np.testing.assert_array_equal(exported.contacts, motion.contacts)
    # Markers sit on whole frames: the times come back within half a frame.
    np.testing.assert_allclose(exported.downbeats, motion.downbeats, atol=0.5 / fps)
    np.testing.assert_allclose(exported.beats, motion.beats, atol=0.5 / fps)


# BVH text keeps six decimals; FBX's exporter resamples the animation and stores float32.
@pytest.mark.parametrize(("suffix", "tolerance_m"), [(".bvh", 1e-3), (".fbx", 3e-3)])
def test_bvh_and_fbx_exports_import_back_as_the_same_motion(
    demo_song, tmp_path, suffix, tolerance_m
):
    from motionbeat_addon.export import export_dance

    generate(demo_song, seed=2)
    (armature,) = armatures()
    n_frames = bpy.context.scene.frame_end
    frames = [1, n_frames // 2, n_frames]
    expected = evaluated_joint_positions(bpy, armature, frames)
    path = export_dance(bpy.context, armature, tmp_path / f"dance{suffix}")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if suffix == ".bvh":
        bpy.ops.import_anim.bvh(filepath=str(path), update_scene_duration=True)
    else:
        bpy.ops.import_scene.fbx(filepath=str(path))
    (imported,) = armatures()
    assert sorted(b.name for b in imported.data.bones) == sorted(JOINT_NAMES)
    start, end = imported.animation_data.action.frame_range
    assert (start, end) == (1, n_frames)
    assert np.abs(evaluated_joint_positions(bpy, imported, frames) - expected).max() < tolerance_m


def test_exporting_to_another_format_or_without_a_dance_is_refused(demo_song, tmp_path):
    from core.errors import MotionBeatError
    from motionbeat_addon.armature import build_smpl_armature
    from motionbeat_addon.export import export_dance

    armature = build_smpl_armature(bpy.context)
    with pytest.raises(MotionBeatError, match="no animation"):
        export_dance(bpy.context, armature, tmp_path / "dance.npz")
    with pytest.raises(MotionBeatError, match=r"\.npz, \.bvh, \.fbx"):
        export_dance(bpy.context, armature, tmp_path / "dance.abc")


def write_smpl_model(folder, n_vertices: int = 6890, seed: int = 0):
    """A model file of SMPL's structure (not SMPL's data): the first 24 template vertices are
    the rest joints, the regressor picks them, the rest scatter around the joints with random
    skinning weights over one to three joints."""
    from core.body.skeleton import PARENTS, rest_joint_positions

    rng = np.random.default_rng(seed)
    joints = rest_joint_positions()
    owner = rng.integers(0, 24, n_vertices)
    vertices = joints[owner] + rng.normal(0.0, 0.04, (n_vertices, 3))
    vertices[:24] = joints
    weights = np.zeros((n_vertices, 24))
    weights[np.arange(n_vertices), owner] = 1.0
    for extra in (rng.integers(0, 24, n_vertices), np.array(PARENTS).clip(0)[owner]):
        weights[np.arange(n_vertices), extra] += rng.uniform(0.0, 0.5, n_vertices)
    weights /= weights.sum(axis=1, keepdims=True)
    regressor = np.zeros((24, n_vertices))
    regressor[np.arange(24), np.arange(24)] = 1.0
    kintree = np.stack([np.array(PARENTS) % 2**32, np.arange(24)]).astype(np.int64)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(
        folder / "SMPL_NEUTRAL.npz",
        v_template=vertices,
        f=rng.integers(0, n_vertices, (2 * n_vertices, 3)),
        weights=weights,
        J_regressor=regressor,
        kintree_table=kintree,
        shapedirs=np.zeros((n_vertices, 3, 10)),
        posedirs=np.zeros((n_vertices, 3, 207)),
    )
    return folder


def test_with_an_smpl_model_the_body_deforms_as_smplx_does(preferences, demo_song, tmp_path):
    """The mesh skinned to the keyed armature, against smplx's own forward pass (zero betas;
    the file has no pose correctives) on the same SMPL parameters."""
    import smplx
    import torch
    from smplx.utils import Struct

    from core.body.smpl_mesh import load_smpl_body

    folder = write_smpl_model(tmp_path / "models")
    preferences.smpl_folder = str(folder)
    assert generate(demo_song, seed=3) == {"FINISHED"}
    (armature,) = armatures()
    (body,) = [o for o in bpy.data.objects if o.type == "MESH" and o.parent == armature]
    assert len(body.data.vertices) == 6890
    scene = bpy.context.scene
    _, motion = generate_dance(demo_song, seed=3, fps=scene.render.fps / scene.render.fps_base)
    with np.load(folder / "SMPL_NEUTRAL.npz") as arrays:  # smplx itself would unpickle the file
        model = smplx.SMPL(model_path=str(folder), data_struct=Struct(**dict(arrays)))
    rest_pelvis = load_smpl_body(folder).joints[0]
    for frame in (0, motion.n_frames // 3, motion.n_frames - 1):
        scene.frame_set(frame + 1)
        evaluated = body.evaluated_get(bpy.context.evaluated_depsgraph_get())
        world = np.array([list(body.matrix_world @ v.co) for v in evaluated.data.vertices])
        pose = torch.from_numpy(motion.poses[frame].reshape(1, 72)).float()
        output = model(
            global_orient=pose[:, :3],
            body_pose=pose[:, 3:],
            transl=torch.from_numpy(motion.trans[frame] - rest_pelvis)[None].float(),
        )
        expected = to_z_up(output.vertices[0].detach().numpy())
        assert np.abs(world - expected).max() < 1e-4


def test_a_folder_without_an_smpl_model_is_reported_and_nothing_changes(
    preferences, demo_song, tmp_path
):
    preferences.smpl_folder = str(tmp_path)
    before = scene_snapshot(bpy)
    with pytest.raises(RuntimeError, match="SMPL_NEUTRAL.npz"):
        generate(demo_song)
    assert scene_snapshot(bpy) == before
