"""ffmpeg for videos: probing, the phone-friendly transcode, its progress, and the poster frame. No models.

Output: H.264 (yuv420p, widely decodable) with AAC sound in an MP4 whose index
sits at the front (`+faststart`, so a phone starts playing before the whole
file arrives), at most 1280x720 landscape or 720x1280 portrait, never
upscaled, and with every metadata tag dropped (phones write the place a video
was filmed into it).
"""

from __future__ import annotations

import json
import logging
import subprocess  # fixed argument lists, never a shell, file names Backstep chose
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Landscape fits 1280x720, portrait 720x1280; never larger than the source; even sizes (H.264 needs them).
SCALE = ("scale=w='min(iw,if(gte(iw,ih),1280,720))':h='min(ih,if(gte(iw,ih),720,1280))'"
         ":force_original_aspect_ratio=decrease:force_divisible_by=2")


class TranscodeError(Exception):
    """ffmpeg could not read or convert the file; `message` is for the person who uploaded it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Probe:
    duration: float
    width: int
    height: int
    has_audio: bool


def probe_command(ffprobe: str, source: Path) -> list[str]:
    return [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(source)]


def parse_probe(output: str) -> Probe:
    """ffprobe's JSON as a Probe; TranscodeError when there is no video stream or no length."""
    try:
        data = json.loads(output or "{}")
    except json.JSONDecodeError as error:
        raise TranscodeError("ffmpeg could not read this file: it may be damaged or not a video.") from error
    streams = data.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video" and s.get("width")), None)
    if video is None:
        raise TranscodeError(_("This file has no picture track ffmpeg can read: it may be damaged or not a video."))
    try:
        duration = float((data.get("format") or {}).get("duration") or video.get("duration") or 0)
    except (TypeError, ValueError):
        duration = 0.0
    return Probe(duration=duration, width=int(video["width"]), height=int(video["height"]),
                 has_audio=any(s.get("codec_type") == "audio" for s in streams))


def transcode_command(ffmpeg: str, source: Path, target: Path, *, has_audio: bool) -> list[str]:
    """The ffmpeg command that writes the phone-friendly MP4, reporting progress as key=value lines on stdout."""
    audio = ["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k", "-ac", "2"] if has_audio else ["-an"]
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", str(source),
        "-map", "0:v:0", *audio,
        "-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn",
        "-vf", SCALE, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
        "-profile:v", "high", "-movflags", "+faststart",
        "-progress", "pipe:1", "-nostats", str(target),
    ]


def poster_command(ffmpeg: str, source: Path, target: Path, *, at_seconds: float) -> list[str]:
    return [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-ss", f"{at_seconds:.2f}",
            "-i", str(source), "-frames:v", "1", "-map_metadata", "-1", "-q:v", "4", str(target)]


def progress_fraction(lines: Iterable[str], duration: float) -> Iterable[float]:
    """Fractions done (0..1) from ffmpeg's `-progress` lines: out_time_us (microseconds, also misnamed
    out_time_ms) against the length; 1.0 at `progress=end`."""
    for line in lines:
        key, _sep, value = line.strip().partition("=")
        if key in ("out_time_us", "out_time_ms") and duration > 0:
            try:
                micro = int(value)
            except ValueError:
                continue
            yield max(0.0, min(1.0, micro / 1_000_000 / duration))
        elif key == "progress" and value == "end":
            yield 1.0


def probe(ffprobe: str, source: Path, *, timeout: float = 60) -> Probe:
    try:
        done = subprocess.run(probe_command(ffprobe, source), capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TranscodeError("ffmpeg could not read this file: it may be damaged or not a video.") from error
    if done.returncode != 0:
        raise TranscodeError("ffmpeg could not read this file: it may be damaged or not a video.")
    return parse_probe(done.stdout)


def transcode(ffmpeg: str, source: Path, target: Path, *, info: Probe, on_progress: Callable[[float], None],
              timeout: float) -> None:
    """Run the transcode, calling `on_progress(fraction)` as ffmpeg reports; TranscodeError on failure."""
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            transcode_command(ffmpeg, source, target, has_audio=info.has_audio),
            stdout=subprocess.PIPE, stderr=errors, text=True, bufsize=1)
        started = time.monotonic()
        try:
            for fraction in progress_fraction(process.stdout or (), info.duration):
                on_progress(fraction)
                if time.monotonic() - started > timeout:
                    raise TranscodeError(_("Converting this video took too long. Try a shorter clip."))
            process.wait(timeout=max(1.0, timeout - (time.monotonic() - started)))
        except subprocess.TimeoutExpired as error:
            raise TranscodeError(_("Converting this video took too long. Try a shorter clip.")) from error
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if process.returncode != 0:
            errors.seek(0)
            # Class of problem only at WARNING: ffmpeg's words can quote file names and tags.
            logger.warning("ffmpeg exited with %s", process.returncode)
            logger.debug("ffmpeg said: %s", errors.read()[-2000:])
            raise TranscodeError("ffmpeg could not convert this video: it may be damaged or in a form it "
                                 "cannot read.")


def poster(ffmpeg: str, source: Path, target: Path, *, duration: float, timeout: float = 60) -> None:
    at = min(1.0, duration / 3) if duration > 0 else 0.0
    try:
        done = subprocess.run(poster_command(ffmpeg, source, target, at_seconds=at), capture_output=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TranscodeError("ffmpeg could not take a still from this video.") from error
    if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        raise TranscodeError("ffmpeg could not take a still from this video.")
