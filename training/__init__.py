"""Training MotionBeat's two models on the shared data, evaluating them, exporting them.

- ``encoder/``: the music and motion encoders, pretrained with ECL + SRAL. ``pretrain``
  trains, ``evaluate`` scores retrieval and beat-jitter discrimination, ``ablate`` trains and
  scores the ablations, ``losses`` holds ECL and SRAL, ``windows`` turns paired clips into
  model windows (cached); ``pairs/`` makes the paired clips: ``synthetic`` (procedural dance
  on drum patterns), ``pseudo`` (CMU capture warped onto game music), ``files`` (a folder of
  paired music and motion files), ``tang2018`` (the tang2018 dances, research only).
- ``beats/``: the beat and downbeat tracker. ``data`` makes the labelled examples, ``network``
  the torch TCN, ``train`` trains it, ``evaluate`` scores trackers per set.
- ``runs``: what every run shares (error type, TOML config, optimizer, checkpoints, resume);
  ``shared_data``: where ``../shared/data`` is; ``export``: checkpoints to shipped models.
- ``configs/``: the runs' TOML files.

``python -m training.pretrain``, ``train_beats``, ``beat_data``, ``evaluate_beats``,
``evaluate`` and ``ablate`` still run the modules under their old names.
"""
