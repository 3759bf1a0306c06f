"""Every tunable default, in one table read by both the CLI and the library.

Names carry their units. Change a default here and both the CLI help and the
Python API follow. Part of the contract: imports nothing of the project but
``verticalize.errors``. Errors name options by their field names here
(``episode_min_s``); the CLI shows them as the flags the user typed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from verticalize.errors import OptionsError


@dataclass(frozen=True)
class Options:
    # output
    width: int = 1080                 # output width, px (even)
    height: int = 1920                # output height, px (even)
    # episodes
    episode_min_s: float = 60.0       # shortest episode, s (the last one may be shorter)
    episode_max_s: float = 120.0      # longest episode, s
    first_episode_min_s: float = 0.0  # shortest first episode, s (0: same as episode_min_s)
    episodes: bool = True             # False: one episode spanning the whole input
    strict_boundaries: bool = False   # True: fail when no plan has only clean cuts; False: take the best cuts there are (warned)
    # analysis
    analysis_width_px: int = 384      # width of the low-resolution analysis frames
    analysis_skip_frames: bool = True # analyse intra and P-frames only (cuts re-decoded exactly); False: every frame
    face_fps: float = 4.0             # face detection rate, frames per second of source time (6 gave the same framing)
    face_still_fps: float = 2.0       # face detection rate while the picture stands still, per second
    face_still_change: float = 0.005  # "still": at most this share of pixels changed by > 12 luma levels since the last sample
    face_idle_fps: float = 1.0        # face detection rate once no face was seen for face_idle_after_s, per second (2 gave the same framing)
    face_idle_after_s: float = 1.0    # ... seconds without a face before the idle rate (left at once after a cut)
    face_min_confidence: float = 0.5  # mediapipe detection threshold, 0..1
    person_fps: float = 2.0           # person segmentation rate on frames without faces, per second
    text_fps: float = 4.0             # burned-in text detection rate, frames per second of source time
    shot_min_score: float = 0.18      # absolute cut threshold on the content score, 0..1
    shot_ratio: float = 2.5           # a cut must exceed this multiple of its neighbours' mean score
    shot_window_frames: int = 4       # neighbours on each side for the adaptive test
    min_shot_s: float = 0.2           # no two cuts closer than this, s (6 frames at 30 fps: fast cutting)
    shot_max_transition_s: float = 2.0        # longest fade or dissolve reported as one transition, s
    shot_gradual_min_delta: float = 14.0      # luma change across a gradual transition, 0..255
    shot_gradual_residual: float = 0.12       # largest misfit of middle frames to a mix of both sides, 0..1
    shot_gradual_residual_motion: float = 0.3 # ... allowed when the shots themselves move
    shot_gradual_outside: float = 0.6         # share of change that must happen inside the span, 0..1
    shot_gradual_max_correlation: float = 0.85  # above this the two sides are one shot, not a dissolve
    shot_flash_tolerance: float = 0.12        # a flash returns to within this content distance, 0..1
    # camera path
    static_tolerance_frac: float = 0.05   # subject travel (fraction of source width) under which a shot is static
    smooth_window_s: float = 1.0          # moving-average window of the tracking path, s
    max_velocity_frac_s: float = 0.35     # fastest pan, fraction of source width per second
    max_accel_frac_s2: float = 0.5        # fastest change of pan speed, fraction of source width per s^2
    main_face_presence: float = 0.3       # a face track seen on this share of a shot's samples is a subject
    face_track_min_s: float = 0.5         # ... else a track seen this long is the subject on the frames it spans, s
    face_margin_frac: float = 0.12        # keep this fraction of the crop width free on each side of the face
    speaker_min_hold_s: float = 1.0       # a speaker keeps the crop at least this long before it cuts to the other
    speaker_switch_s: float = 0.4         # the other face must be the clear speaker this long to take the turn
    mouth_fps: float = 6.0                # lip-gap samples per second on faces that cannot share the crop
    subject_threshold_std: float = 0.5    # subject-map cells above mean + this many std can form the subject region
    subject_pad_width: float = 2.0        # no face: pad the shot when its salient region is wider than this many crop widths (median over the shot)
    # episode extras
    recap_s: float = 0.0              # open each episode after the first with this many seconds of the previous one
    free_episodes: int = 0            # the first N episodes are marked free in manifest.json
    title_card: bool = False          # burn "Episode N" over the opening seconds
    # subtitles
    platform: str = "tiktok"          # safe zone for burned subtitles: tiktok, reels, shorts or none
    # render
    encoder: str = "libx264"          # video encoder: libx264 (CPU, bit-exact) or h264_nvenc (NVIDIA GPU)
    preset: str = "veryfast"          # x264 preset
    crf: int = 20                     # x264 constant rate factor, 0..51
    x264_threads: int = 4             # x264 threads per encoder, 1..64, fixed so the bytes do not depend on the host's
                                      # cores; 1: the same bytes on every run at any size (4 repeats only at small sizes)
    audio_bitrate_kbps: int = 128
    # audio delivery (ITU-R BS.1770 / EBU R128)
    normalize_loudness: bool = True   # False: every output keeps the source's level (--loudness off)
    loudness_lufs: float = -14.0      # integrated loudness of every output, LUFS
    true_peak_dbtp: float = -1.0      # highest true peak of every output, dBTP
    audio_tracks: str = "one"         # one: each output carries its language's audio; all: the original and every dub
    jobs: int = 0                     # parallel renders; 0 = number of cores
    encoders_per_process: int = 5     # most output files (languages) one ffmpeg render encodes from one decode;
                                      # memory: each x264 encoder at 1080x1920 adds about 300 MB (5: 1.6 GB)
    watermark_id: int | None = None   # forensic watermark: recipient ID 0..2**32-1 marked in every output; None: no mark
    # review page
    review_thumb_width_px: int = 320      # width of the source frames on the review page, px
    review_preview_height_px: int = 480   # height of the 9:16 preview frames rendered for the review page, px

    def with_(self, **changes: Any) -> "Options":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


DEFAULTS = Options()

# Named presets for markets: episode lengths in seconds and a longer first
# episode where audiences expect more setup. Explicit options override them.
PRESETS: dict[str, dict[str, float]] = {
    "duanju": {"episode_min_s": 60.0, "episode_max_s": 120.0, "first_episode_min_s": 60.0},
    "western": {"episode_min_s": 75.0, "episode_max_s": 150.0, "first_episode_min_s": 110.0},
    "sea": {"episode_min_s": 50.0, "episode_max_s": 90.0, "first_episode_min_s": 50.0},
    "latam": {"episode_min_s": 60.0, "episode_max_s": 120.0, "first_episode_min_s": 90.0},
}

WATERMARK_ID_MAX = 2 ** 32 - 1  # largest Options.watermark_id (32 bits)
ENCODERS = ("libx264", "h264_nvenc")  # values of Options.encoder
AUDIO_TRACKS = ("one", "all")  # values of Options.audio_tracks
PLATFORMS = ("tiktok", "reels", "shorts", "none")  # values of Options.platform (safe zones: subtitles.layout)


def check_size(width: int, height: int) -> None:
    """Raise OptionsError unless width x height is an even size H.264 can encode (16..8192 px)."""
    if width < 16 or height < 16 or width > 8192 or height > 8192:
        raise OptionsError(f"output size {width}x{height} is out of range (16..8192 px per side)")
    if width % 2 or height % 2:
        raise OptionsError(f"output size {width}x{height} must have even width and height (H.264 4:2:0)")


def check_options(opts: Options) -> None:
    """Raise OptionsError naming the first impossible option value (by its field name)."""
    check_size(opts.width, opts.height)
    if opts.episode_min_s <= 0 or opts.episode_max_s <= 0:
        raise OptionsError("episode_min_s and episode_max_s must be positive")
    if opts.episode_min_s > opts.episode_max_s:
        raise OptionsError(f"episode_min_s ({opts.episode_min_s:g} s) is longer than episode_max_s ({opts.episode_max_s:g} s)")
    if opts.first_episode_min_s > opts.episode_max_s:
        raise OptionsError(f"the first episode's minimum ({opts.first_episode_min_s:g} s) is longer than "
                           f"episode_max_s ({opts.episode_max_s:g} s)")
    if not 0 <= opts.recap_s < opts.episode_min_s:
        raise OptionsError(f"recap_s {opts.recap_s:g} s must be at least 0 and shorter than episode_min_s "
                           f"({opts.episode_min_s:g} s)")
    if opts.free_episodes < 0:
        raise OptionsError(f"free_episodes {opts.free_episodes} must not be negative")
    if not 0 <= opts.crf <= 51:
        raise OptionsError(f"crf {opts.crf} is outside 0..51")
    if isinstance(opts.x264_threads, bool) or not isinstance(opts.x264_threads, int) or not 1 <= opts.x264_threads <= 64:
        raise OptionsError(f"x264_threads {opts.x264_threads!r} is not an integer 1..64")
    if opts.jobs < 0:
        raise OptionsError("jobs must be >= 0")
    if opts.encoders_per_process < 1:
        raise OptionsError(f"encoders_per_process {opts.encoders_per_process} must be at least 1")
    if opts.watermark_id is not None and (isinstance(opts.watermark_id, bool) or not isinstance(opts.watermark_id, int)
                                          or not 0 <= opts.watermark_id <= WATERMARK_ID_MAX):
        raise OptionsError(f"watermark_id {opts.watermark_id!r} is not an integer 0..{WATERMARK_ID_MAX}")
    if opts.encoder not in ENCODERS:
        raise OptionsError(f"encoder {opts.encoder!r}: choose one of {', '.join(ENCODERS)}")
    if not -70.0 <= opts.loudness_lufs <= -5.0:
        raise OptionsError(f"loudness_lufs {opts.loudness_lufs:g} is outside -70..-5 LUFS")
    if not -9.0 <= opts.true_peak_dbtp <= 0.0:
        raise OptionsError(f"true_peak_dbtp {opts.true_peak_dbtp:g} is outside -9..0 dBTP")
    if opts.audio_tracks not in AUDIO_TRACKS:
        raise OptionsError(f"audio_tracks {opts.audio_tracks!r}: choose one of {', '.join(AUDIO_TRACKS)}")
    if opts.platform not in PLATFORMS:
        raise OptionsError(f"platform {opts.platform!r}: choose one of {', '.join(PLATFORMS)}")


def with_preset(opts: Options, name: str) -> Options:
    """``opts`` with the market preset ``name``'s episode lengths applied (``PRESETS``)."""
    if name not in PRESETS:
        raise OptionsError(f"market {name!r}: choose one of {', '.join(PRESETS)}")
    return replace(opts, **PRESETS[name])
