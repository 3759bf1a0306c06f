"""Everything that starts ffmpeg: probe, decode, encode graphs, compare.

The only package of the project that imports ``subprocess``; errors are the
contract's (``InputError``, ``RenderError``), naming the file.
"""
from verticalize.media.decode import (  # noqa: F401
    AudioDecode,
    decode_frames,
    decode_indexed,
    decode_indexed_parallel,
    decode_span,
)
from verticalize.media.ffmpeg import check_path, ffmpeg_exe, first_error_line, has_filter  # noqa: F401
from verticalize.media.probe import MediaInfo, analysis_size, frame_pts, frame_times, probe  # noqa: F401
