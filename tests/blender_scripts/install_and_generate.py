"""Install the extension zip into a fresh Blender user folder and run Generate Dance.

    python install_and_generate.py EXTENSION.zip SONG OUT.blend SEED [PLAN.npz]

Run in its own process with BLENDER_USER_RESOURCES set to an empty folder, as a user would.
With PLAN.npz, also writes ``dance_plan(SONG, SEED)`` as computed by the extension's own core.
"""

import sys

import bpy
import numpy as np

zip_path, song, out, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
bpy.ops.wm.read_factory_settings(use_empty=True)  # before installing: it disables add-ons
bpy.context.scene.render.fps = 30
result = bpy.ops.extensions.package_install_files(
    repo="user_default", filepath=zip_path, enable_on_install=True
)
assert result == {"FINISHED"}, result
assert "bl_ext.user_default.motionbeat" in sys.modules, "the extension did not load"
bpy.ops.motionbeat.generate_dance(filepath=song, seed=seed)
bpy.ops.wm.save_as_mainfile(filepath=out)
if len(sys.argv) > 5:
    from dance_plan import dance_plan  # beside this script; imports the extension's core

    np.savez(sys.argv[5], **dance_plan(song, seed))
