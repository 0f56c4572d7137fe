"""The one place for the MotionBeat model's constants; stored in every checkpoint.

The paper (arXiv 2510.13244) gives the structure; these constants are the project's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.body.skeleton import N_JOINTS
from core.config_dict import DictConfig

N_CONTACTS = 4
N_MFCC = 20  # librosa's default


@dataclass(frozen=True)
class MotionBeatConfig(DictConfig):
    """Shapes and sizes of the MotionBeat encoders.

    sample_rate, hop_length, n_mels : the log-mel front-end (Hz, samples, bands)
    audio_front_end : "mel" (scaled log-mel, the model) or "librosa" (onset strength, chroma and
        MFCCs per frame: the hand-made-features baseline of the evaluation)
    sub_beat_steps : frames per beat token after resampling each beat to a fixed length
    beats_per_bar : bar length in beats of the training windows (4/4 pairs); a song's bar phase
        follows its own meter (``BeatTrack.beats_per_bar``)
    width, heads, audio_layers, motion_layers, dropout : the transformer encoders
    harmonics : bar-phase rotation harmonics k (angles 2*pi*k*phase), cycled over half the
        rotated channel pairs; the other half rotate by token index (RoPE, base ``index_base``)
    embed_dim : clip, beat and bar embedding size (L2-normalised)
    contact_epsilon : epsilon of the contact-guided attention bias log(eps + c)
    phase_rotation, contact_guidance : the two mechanisms, switchable for ablations
    """

    sample_rate: int = 22050
    hop_length: int = 512
    n_mels: int = 80
    audio_front_end: str = "mel"
    sub_beat_steps: int = 8
    beats_per_bar: int = 4
    width: int = 128
    heads: int = 4
    audio_layers: int = 3
    motion_layers: int = 3
    dropout: float = 0.1
    harmonics: tuple[int, ...] = (1, 2, 4)
    index_base: float = 64.0
    embed_dim: int = 128
    contact_epsilon: float = 1e-3
    phase_rotation: bool = True
    contact_guidance: bool = True

    @property
    def audio_features(self) -> int:
        """Per-frame audio features: the log-mel bands, or onset + 12 chroma + MFCCs."""
        return self.n_mels if self.audio_front_end == "mel" else 1 + 12 + N_MFCC

    @property
    def motion_features(self) -> int:
        """Per-frame motion features: root-relative joints, joint velocities, contacts."""
        return N_JOINTS * 3 * 2 + N_CONTACTS

    def token_settings(self) -> dict:
        """The fields that shape the tokens (and so a feature cache); the rest shape the model."""
        names = ("sample_rate", "hop_length", "n_mels", "sub_beat_steps", "beats_per_bar")
        settings = {name: getattr(self, name) for name in names}
        # Only when not the default: the feature caches made before the field existed (keyed by
        # these settings) stay valid for the model's own front end.
        if self.audio_front_end != "mel":
            settings["audio_front_end"] = self.audio_front_end
        return settings
