"""The ffmpeg command and its progress, without running ffmpeg (the services tests run it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercise_media.transcode import TranscodeError, parse_probe, poster_command, progress_fraction, transcode_command


def test_the_command_makes_a_phone_friendly_mp4_without_metadata():
    command = transcode_command("ffmpeg", Path("in.mov"), Path("out.mp4"), has_audio=True)
    joined = " ".join(command)
    for part in ("-c:v libx264", "-pix_fmt yuv420p", "-c:a aac", "-movflags +faststart", "-map_metadata -1",
                 "-progress pipe:1", "-nostdin"):
        assert part in joined
    scale = command[command.index("-vf") + 1]
    assert "1280" in scale and "720" in scale and "min(iw" in scale and "force_divisible_by=2" in scale
    assert command[-1] == "out.mp4" and command[command.index("-i") + 1] == "in.mov"


def test_a_silent_video_gets_no_audio_track():
    command = transcode_command("ffmpeg", Path("in.webm"), Path("out.mp4"), has_audio=False)
    assert "-an" in command and "aac" not in command


def test_the_poster_is_one_frame_without_metadata():
    command = poster_command("ffmpeg", Path("v.mp4"), Path("p.jpg"), at_seconds=1)
    assert command[command.index("-frames:v") + 1] == "1" and "-map_metadata" in command


def test_progress_lines_become_fractions():
    lines = ["frame=10", "out_time_us=500000", "progress=continue", "out_time_ms=1000000", "out_time_us=N/A",
             "progress=end"]
    assert list(progress_fraction(lines, duration=2.0)) == [0.25, 0.5, 1.0]
    assert list(progress_fraction(["out_time_us=9000000"], duration=2.0)) == [1.0]
    assert list(progress_fraction(["out_time_us=100"], duration=0)) == []


def test_probe_output_is_read_and_refused_when_it_holds_no_picture():
    probe = parse_probe('{"format": {"duration": "3.5"}, "streams": [{"codec_type": "video", "width": 1920, '
                        '"height": 1080}, {"codec_type": "audio"}]}')
    assert (probe.duration, probe.width, probe.height, probe.has_audio) == (3.5, 1920, 1080, True)
    for bad in ("", "not json", '{"streams": [{"codec_type": "audio"}]}'):
        with pytest.raises(TranscodeError):
            parse_probe(bad)
