"""Captured BVH motion retargeted onto the SMPL skeleton.

Rigs differ from SMPL in joint names, proportions, units and, most of all, rest poses: the CMU
subject 05 files (iClone CC_Base) and the Bandai file give every joint its own local frame, so
their all-zero pose is no T-pose at all. The retargeting transfers *global joint rotations*
through a constant frame change per joint (SMPL global = source global @ ``A_j``), the standard
rotation retargeting between rigs with different rest poses, and finds each ``A_j`` from the
motion rather than from the rest pose:

- directions: ``A_j`` maps the SMPL rest direction from joint j to each mapped descendant onto
  the mean direction of that descendant in the source joint's own frame (exact for a rigid child;
  farther descendants weigh less and settle the twist of the spine);
- hinges: knees and elbows bend about one axis. The source's axis is the principal axis of its
  knee (elbow) rotations, and it must map onto SMPL's (X for knees, Y for elbows), which fixes
  the twist of the thigh, shin, upper arm and forearm that directions alone leave open;
- roll: where every direction lies on one line and no hinge is near (an ankle that sees only its
  toe, a wrist its hand, a neck its head, a collar its arm), the twist about that line is the
  one that leaves the joint's mean rotation in its parent without twist (swing-twist
  decomposition): a dancer's feet and hands are not turned about themselves on average.
  Without it such a joint keeps whatever roll the rig's own frame has, which positions never
  show and a skinned character does (the iClone feet came out rolled sole up);
- zero-length bones (the CMU skeleton puts its collars and neck on the upper spine joint) give
  no direction and are left out, the farther joints then settle the frame.

Each ``A_j`` is the least-squares rotation (Wahba's problem, ``Rotation.align_vectors``). SMPL
joints a rig lacks keep their rest rotation; end joints (hands, head, toes) take the source's
rotation relative to their parent. Joints are matched by name with one table per rig (``RIGS``).
Lengths are scaled by the ratio of leg lengths, which also turns centimetres into metres, and
the feet are stood on the floor.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from core.body.contacts import detect_foot_contacts, stand_on_floor
from core.body.motion import Motion
from core.body.skeleton import (
    HIPS,
    JOINT_INDEX,
    JOINT_NAMES,
    N_JOINTS,
    PARENTS,
    REST_OFFSETS,
    forward_kinematics,
    rest_joint_positions,
)
from core.errors import MotionFileError
from core.motion_files.bvh import Bvh

# SMPL's flexion axes in the rest pose (T-pose, palms down, facing +Z), signed as
# parent bone x flexed child bone: the shins swing back about +X, the left forearm forward
# about -Y and the right one about +Y.
HINGE_AXES = {"left_knee": (1, 0, 0), "right_knee": (1, 0, 0), "left_elbow": (0, -1, 0),
              "right_elbow": (0, 1, 0)}  # fmt: skip
HINGE_WEIGHT = 1.0
DESCENDANT_FALLOFF = 0.1  # weight per level below the joint: children dominate, the rest twist
# A joint whose directions (and hinge axes) all lie within about this sine of one line (an
# ankle seeing only its toe, a wrist only its hand, a collar its arm) has no roll in them: its
# twist about that line is the one that makes its mean rotation in its parent a pure swing
# (a dancer's feet, hands and neck are not turned about themselves on average).
ROLL_SPREAD = 0.2
MIN_BONE_SHARE = 1e-3  # of the source's leg length: a shorter bone has no direction


def _sided(template: dict[str, str], left: str, right: str) -> dict[str, str]:
    """A rig table from one side's names: ``{side}`` in a name becomes the rig's left or right."""
    table = {}
    for smpl, name in template.items():
        if "{side}" in smpl:
            table[smpl.format(side="left")] = name.format(side=left)
            table[smpl.format(side="right")] = name.format(side=right)
        else:
            table[smpl] = name
    return table


# SMPL joint name: the rig's joint name. Checked on the files in ../shared/data/motion.
RIGS: dict[str, dict[str, str]] = {
    "smpl": {name: name for name in JOINT_NAMES},  # what write_smpl_bvh writes
    "cc_base": _sided(  # iClone Character Creator: the CMU subject 05 conversions
        {
            "pelvis": "CC_Base_Hip", "spine1": "CC_Base_Waist", "spine2": "CC_Base_Spine01",
            "spine3": "CC_Base_Spine02", "neck": "CC_Base_NeckTwist01", "head": "CC_Base_Head",
            "{side}_hip": "CC_Base_{side}_Thigh", "{side}_knee": "CC_Base_{side}_Calf",
            "{side}_ankle": "CC_Base_{side}_Foot", "{side}_foot": "CC_Base_{side}_ToeBase",
            "{side}_collar": "CC_Base_{side}_Clavicle",
            "{side}_shoulder": "CC_Base_{side}_Upperarm",
            "{side}_elbow": "CC_Base_{side}_Forearm", "{side}_wrist": "CC_Base_{side}_Hand",
            "{side}_hand": "CC_Base_{side}_Mid1",
        },
        "L", "R",
    ),
    "daz_secondlife": _sided(  # the CMU salsa conversions (subjects 60 and 61); no toes
        {
            "pelvis": "hip", "spine1": "abdomen", "spine2": "chest", "neck": "neck",
            "head": "head", "{side}_hip": "{side}Thigh", "{side}_knee": "{side}Shin",
            "{side}_ankle": "{side}Foot", "{side}_collar": "{side}Collar",
            "{side}_shoulder": "{side}Shldr", "{side}_elbow": "{side}ForeArm",
            "{side}_wrist": "{side}Hand", "{side}_hand": "{side}Mid1",
        },
        "l", "r",
    ),
    "cmu": _sided(  # the standard CMU (ASF/AMC) skeleton, as most CMU conversions name it
        {
            "pelvis": "Hips", "spine1": "LowerBack", "spine2": "Spine", "spine3": "Spine1",
            "neck": "Neck", "head": "Head", "{side}_hip": "{side}UpLeg",
            "{side}_knee": "{side}Leg", "{side}_ankle": "{side}Foot",
            "{side}_foot": "{side}ToeBase", "{side}_collar": "{side}Shoulder",
            "{side}_shoulder": "{side}Arm", "{side}_elbow": "{side}ForeArm",
            "{side}_wrist": "{side}Hand",  # FingerBase is often a zero-length bone: no hand
        },
        "Left", "Right",
    ),
    "bandai": _sided(  # Bandai-Namco Research motion dataset; no fingers
        {
            "pelvis": "Hips", "spine1": "Spine", "spine2": "Chest", "neck": "Neck",
            "head": "Head", "{side}_hip": "UpperLeg_{side}", "{side}_knee": "LowerLeg_{side}",
            "{side}_ankle": "Foot_{side}", "{side}_foot": "Toes_{side}",
            "{side}_collar": "Shoulder_{side}", "{side}_shoulder": "UpperArm_{side}",
            "{side}_elbow": "LowerArm_{side}", "{side}_wrist": "Hand_{side}",
        },
        "L", "R",
    ),
}  # fmt: skip
_LEGS = [(f"{side}_hip", f"{side}_knee", f"{side}_ankle") for side in ("left", "right")]


def detect_rig(bvh: Bvh) -> str:
    """The name of the first rig in ``RIGS`` whose joints the file all has.

    Raises MotionFileError naming the known rigs if none matches.
    """
    names = set(bvh.names)
    for rig, table in RIGS.items():
        if set(table.values()) <= names:
            return rig
    raise MotionFileError(
        f"unknown rig (root {bvh.names[0]!r}, {len(names)} joints); "
        f"known rigs: {', '.join(RIGS)}; add a table to core.motion_files.retarget.RIGS"
    )


def _nearest_mapped_ancestor(j: int, mapped: set[int]) -> int:
    parent = PARENTS[j]
    while parent >= 0 and parent not in mapped:
        parent = PARENTS[parent]
    return parent


def _leg_length(positions: np.ndarray, index: dict[str, int]) -> float:
    """Mean over both legs of hip-to-knee plus knee-to-ankle distance."""
    total = 0.0
    for hip, knee, ankle in _LEGS:
        a, b, c = (positions[index[name]] for name in (hip, knee, ankle))
        total += np.linalg.norm(b - a) + np.linalg.norm(c - b)
    return total / len(_LEGS)


def _descendants(j: int) -> list[tuple[int, int]]:
    """SMPL joints below j with their depth (1 for children)."""
    found, frontier, depth = [], [j], 0
    while frontier:
        depth += 1
        frontier = [c for c in range(N_JOINTS) if PARENTS[c] in frontier]
        found += [(c, depth) for c in frontier]
    return found


def _directions(j: int, mapped: set[int]) -> list[tuple[tuple[int, ...], tuple[int, ...], int]]:
    """The directions that fix joint j's frame: (from joints, to joints, depth), each end the
    mean of its joints. Mostly j to each mapped descendant; where j branches into a left and a
    right child (pelvis, upper spine) the pair gives the lateral direction and the middle child
    is seen from the pair's midpoint, because rigs place their hip and collar joints at
    different heights relative to the branching joint."""
    children = [c for c in range(N_JOINTS) if PARENTS[c] == j and c in mapped]
    pairs = [
        (JOINT_INDEX[JOINT_NAMES[c].replace("left_", "right_")], c)
        for c in children
        if JOINT_NAMES[c].startswith("left_")
        and JOINT_INDEX[JOINT_NAMES[c].replace("left_", "right_")] in children
    ]
    directions = [((right,), (left,), 1) for right, left in pairs]
    paired = {k for pair in pairs for k in pair}
    for c, depth in _descendants(j):
        if c in mapped and c not in paired:
            start = pairs[0] if pairs and depth == 1 else (j,)
            directions.append((start, (c,), depth))
    return directions


def _hinge_axis(
    rotations: np.ndarray, positions: np.ndarray, joints: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """A hinge's flexion axis in its parent's frame and in its own: unit (3,) each.

    rotations, positions : (T, J, 3, 3) and (T, J, 3) source globals; joints : source indices
    of the parent, the hinge and its child (hip, knee, ankle). The axis is the principal axis
    of the hinge's rotations; its sign makes flexion positive (parent bone x child bone).
    """
    parent, hinge, child = joints
    to_parent = np.swapaxes(rotations[:, parent], 1, 2)
    local = Rotation.from_matrix(to_parent @ rotations[:, hinge])
    reference = local.mean()
    turns = (reference.inv() * local).as_rotvec()  # turns about the axis, in the hinge's frame
    axis = np.linalg.svd(turns, full_matrices=False)[2][0]
    # A turn about the axis leaves it in place, so the parent sees it at reference @ axis always.
    in_parent = reference.apply(axis)
    upper = np.einsum("tij,tj->ti", to_parent, positions[:, hinge] - positions[:, parent])
    lower = np.einsum("tij,tj->ti", to_parent, positions[:, child] - positions[:, hinge])
    sign = np.sign(np.cross(upper, lower).mean(axis=0) @ in_parent) or 1.0
    return sign * in_parent, sign * axis


def _frame_changes(
    source: dict[int, int], rotations: np.ndarray, positions: np.ndarray, min_length: float
) -> dict[int, np.ndarray]:
    """``A_j`` (3, 3) for every mapped SMPL joint j (see the module docstring).

    min_length : source units; a direction between joints closer than this on average (a
    zero-length bone: the CMU skeleton puts its collars and neck on the upper spine joint) is
    noise, and left out.
    """
    rest = rest_joint_positions()
    hinge_of = {JOINT_INDEX[name]: np.asarray(axis, float) for name, axis in HINGE_AXES.items()}
    hinge_axes = {
        j: _hinge_axis(rotations, positions, tuple(source[k] for k in chain))
        for j in hinge_of
        if set(chain := (PARENTS[j], j, PARENTS.index(j))) <= source.keys()  # hip, knee, ankle
    }
    changes: dict[int, np.ndarray] = {}
    for j in range(N_JOINTS):
        if j not in source:
            continue
        smpl, found, weights = [], [], []
        inverse = np.swapaxes(rotations[:, source[j]], 1, 2)
        for start, end, depth in _directions(j, set(source)):
            offset = positions[:, [source[k] for k in end]].mean(axis=1) - positions[
                :, [source[k] for k in start]
            ].mean(axis=1)
            if np.linalg.norm(offset, axis=1).mean() < min_length:
                continue
            seen = np.einsum("tij,tj->ti", inverse, offset)
            seen /= np.linalg.norm(seen, axis=1, keepdims=True) + 1e-12
            smpl.append(rest[list(end)].mean(axis=0) - rest[list(start)].mean(axis=0))
            found.append(seen.mean(axis=0))
            weights.append(DESCENDANT_FALLOFF ** (depth - 1))
        if not smpl:  # an end joint: its rotation relative to its parent is the source's
            changes[j] = changes[_nearest_mapped_ancestor(j, set(source))]
            continue
        hinges = [(hinge_of[j], hinge_axes[j][1])] if j in hinge_axes else []
        hinges += [(hinge_of[c], hinge_axes[c][0]) for c in hinge_axes if PARENTS[c] == j]
        targets = _unit(np.array(smpl + [axis for axis, _ in hinges]))
        all_weights = np.array(weights + [HINGE_WEIGHT] * len(hinges))
        rotation, _ = Rotation.align_vectors(
            np.array(found + [axis for _, axis in hinges]), targets, weights=all_weights
        )
        changes[j] = rotation.as_matrix()
        spread = np.linalg.svd(targets * np.sqrt(all_weights)[:, None], compute_uv=False)
        if j and (len(spread) < 2 or spread[1] < ROLL_SPREAD * spread[0]):
            parent = _nearest_mapped_ancestor(j, set(source))
            parent_global = rotations[:, source[parent]] @ changes[parent]
            local = np.swapaxes(parent_global, 1, 2) @ rotations[:, source[j]] @ changes[j]
            changes[j] = changes[j] @ _untwist(Rotation.from_matrix(local).mean(), targets[0])
    return changes


def _untwist(mean: Rotation, axis: np.ndarray) -> np.ndarray:
    """The turn (3, 3) about ``axis`` (unit, the joint's own frame) that takes away the twist
    of ``mean`` about it: ``mean`` times it keeps only the swing (swing-twist decomposition)."""
    x, y, z, w = mean.as_quat()
    twist = 2.0 * np.arctan2(np.dot([x, y, z], axis), w)
    return Rotation.from_rotvec(-twist * axis).as_matrix()


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def up_to_y(positions: np.ndarray, source: dict[int, int]) -> np.ndarray:
    """The quarter turn (3, 3) that takes the file's up axis onto +Y, the identity for Y-up.

    The up axis is the file axis along which the head stands farthest above the ankles on
    average: headers and conversions do not say it reliably (the CMU 55_01 file, exported as
    "Y-up", is Z-up).
    """
    ankles = [source[JOINT_INDEX[f"{side}_ankle"]] for side in ("left", "right")]
    up = (positions[:, source[JOINT_INDEX["head"]]] - positions[:, ankles].mean(axis=1)).mean(0)
    axis = int(np.argmax(np.abs(up)))
    target = np.zeros(3)
    target[axis] = np.sign(up[axis])
    if axis == 1 and target[1] > 0:
        return np.eye(3)
    turn, _ = Rotation.align_vectors([[0.0, 1.0, 0.0]], [target])
    return np.rint(turn.as_matrix())


def retarget_bvh(bvh: Bvh, rig: str | None = None) -> Motion:
    """The BVH's motion on the SMPL skeleton at the file's frame rate, with foot contacts.

    rig : a key of ``RIGS``, or None to detect it from the joint names.
    Returns a Motion (poses (T, 24, 3) axis-angle radians, trans (T, 3) metres, Y-up).
    Raises MotionFileError if the rig is unknown or a leg has zero length.
    """
    rig = rig or detect_rig(bvh)
    table = RIGS[rig]
    source = {JOINT_INDEX[smpl]: bvh.names.index(name) for smpl, name in table.items()}
    positions, rotations = bvh.forward_kinematics()
    n_frames = len(positions)
    up = up_to_y(positions, source)
    positions, rotations = positions @ up.T, up @ rotations

    source_leg = _leg_length(bvh.rest_positions(), {JOINT_NAMES[j]: s for j, s in source.items()})
    if not source_leg > 0:
        raise MotionFileError("the rig's legs have zero length")
    scale = _leg_length(rest_joint_positions(), JOINT_INDEX) / source_leg

    if rig == "smpl":  # SMPL's own rest pose (write_smpl_bvh): nothing to find, exactly
        frame_change = {j: np.eye(3) for j in source}
    else:
        min_length = MIN_BONE_SHARE * source_leg
        frame_change = _frame_changes(source, rotations, positions, min_length)
    global_rotations = np.empty((n_frames, N_JOINTS, 3, 3))
    for j in range(N_JOINTS):  # parents come first
        if j in source:
            global_rotations[:, j] = rotations[:, source[j]] @ frame_change[j]
        else:
            global_rotations[:, j] = global_rotations[:, PARENTS[j]]

    local = global_rotations.copy()
    parents = list(PARENTS[1:])
    local[:, 1:] = np.swapaxes(global_rotations[:, parents], 2, 3) @ global_rotations[:, 1:]
    poses = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_rotvec().reshape(n_frames, N_JOINTS, 3)
    hip_middle = positions[:, [source[h] for h in HIPS]].mean(axis=1) * scale
    trans = hip_middle - global_rotations[:, 0] @ REST_OFFSETS[list(HIPS)].mean(axis=0)
    trans, joints = stand_on_floor(trans, forward_kinematics(poses, trans)[0])
    return Motion(
        poses=poses, trans=trans, fps=bvh.fps, contacts=detect_foot_contacts(joints, bvh.fps)
    )
