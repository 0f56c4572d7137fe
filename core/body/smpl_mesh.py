"""The SMPL body mesh from a user's licensed model file, in numpy alone.

SMPL's model files cannot be shipped; where an animator has them (https://smpl.is.tue.mpg.de,
as the ``.npz`` that ``smplx`` reads), the add-on skins the real body to the armature instead of
the proxy. Only the template, its faces, its skinning weights and its joint regressor are used:
Blender's armature deformation is linear blend skinning, which is SMPL without its shape and
pose blend shapes (Loper et al., "SMPL: A Skinned Multi-Person Linear Model", 2015), so a
keyed armature deforms the mesh as ``smplx.SMPL`` does with zero betas and no pose correctives.
The file is read with ``allow_pickle=False``: a model whose arrays are pickled objects (the
original ``.pkl``, or an ``.npz`` holding a sparse regressor) is refused with a message.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.body.skeleton import N_JOINTS
from core.errors import ModelFileError

MODEL_NAMES = ("SMPL_NEUTRAL.npz", "smpl/SMPL_NEUTRAL.npz")  # smplx's layout, or the file alone


@dataclass(frozen=True)
class SmplBody:
    """vertices : (V, 3) float32 template, metres, Y-up; faces : (F, 3) int64 vertex indices;
    weights : (V, 24) float32 skinning weights, rows summing to 1; joints : (24, 3) float32
    rest joint positions (``J_regressor @ v_template``)."""

    vertices: np.ndarray
    faces: np.ndarray
    weights: np.ndarray
    joints: np.ndarray


def find_model_file(folder: str | os.PathLike) -> Path:
    """The neutral SMPL model in ``folder``. Raises ModelFileError if there is none."""
    folder = Path(folder)
    for name in MODEL_NAMES:
        if (folder / name).is_file():
            return folder / name
    raise ModelFileError(f"{folder}: no {' or '.join(MODEL_NAMES)} (the SMPL model files)")


def load_smpl_body(folder: str | os.PathLike) -> SmplBody:
    """Read the neutral SMPL model in ``folder``.

    Raises ModelFileError if it is missing, pickled, or its arrays do not fit one another.
    """
    path = find_model_file(folder)
    try:
        with np.load(path, allow_pickle=False) as model:
            vertices = model["v_template"].astype(np.float32)
            faces = model["f"].astype(np.int64)
            weights = model["weights"].astype(np.float32)
            regressor = model["J_regressor"].astype(np.float32)
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelFileError(
            f"{path.name}: not a readable SMPL model (needs plain arrays v_template, f, weights "
            f"and a dense J_regressor; pickled objects are refused) ({exc})"
        ) from exc
    n = len(vertices)
    shapes_fit = (
        vertices.shape == (n, 3)
        and faces.ndim == 2
        and faces.shape[1] == 3
        and weights.shape == (n, N_JOINTS)
        and regressor.shape == (N_JOINTS, n)
        and faces.size > 0
        and 0 <= faces.min()
        and faces.max() < n
    )
    if not shapes_fit:
        raise ModelFileError(f"{path.name}: its arrays do not fit a 24-joint SMPL body")
    return SmplBody(vertices, faces, weights, regressor @ vertices)
