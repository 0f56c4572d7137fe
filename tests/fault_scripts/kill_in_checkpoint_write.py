"""Run ``training.encoder.pretrain`` and SIGKILL the process halfway through writing a checkpoint.

    python kill_in_checkpoint_write.py N PRETRAIN_ARGS...

The N-th checkpoint write (1-based) gets half its bytes on disk, then the process is killed as
a crash or an out-of-memory kill would: no exception handler, no cleanup.
"""

import io
import os
import signal
import sys

import torch

import core.model.checkpoint as checkpoint
from training.encoder.pretrain import main

real_save = torch.save
writes = {"n": 0}


def save_then_die(obj, fh, *args, **kwargs):
    writes["n"] += 1
    if writes["n"] < int(sys.argv[1]):
        return real_save(obj, fh, *args, **kwargs)
    buffer = io.BytesIO()
    real_save(obj, buffer, *args, **kwargs)
    fh.write(buffer.getvalue()[: buffer.tell() // 2])
    fh.flush()
    os.fsync(fh.fileno())
    os.kill(os.getpid(), signal.SIGKILL)


checkpoint.torch.save = save_then_die
sys.exit(main(sys.argv[2:]))
