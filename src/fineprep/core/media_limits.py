"""A model's media limits applied to one image or video: size, pixels, aspect ratio, duration.

The limits are profile data with sources (``max_image_bytes``, ``image_min_side``...); the
properties come from wherever the media is (a local file at convert time, an S3 object at
upload time), so this module takes plain numbers and says, per broken limit, the value and the
limit. A property that could not be read is passed as None and judged by nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from fineprep.core.profiles import ModelProfile


@dataclass(frozen=True)
class MediaProblem:
    """One limit a media object breaks: ``{"limit": name, "value": v, "allowed": text}``."""

    limit: str
    value: float
    allowed: str
    message: str

    def data(self) -> dict[str, object]:
        return {"limit": self.limit, "value": self.value, "allowed": self.allowed}


def _mb(n: float) -> str:
    return f"{n / 1_000_000:,.1f} MB"


def media_problems(
    profile: ModelProfile,
    kind: str,
    *,
    size: int | None = None,
    width: int | None = None,
    height: int | None = None,
    seconds: float | None = None,
) -> list[MediaProblem]:
    """Every limit of ``profile`` that this ``image`` or ``video`` breaks."""
    p = profile
    out: list[MediaProblem] = []
    max_bytes = p.max_image_bytes if kind == "image" else p.max_video_bytes
    if size is not None and max_bytes is not None and size > max_bytes:
        out.append(
            MediaProblem(
                "max_bytes", size, f"at most {_mb(max_bytes)}",
                f"{kind} is {_mb(size)}; {p.name} takes at most {_mb(max_bytes)}",
            )
        )  # fmt: skip
    if kind == "video":
        if (
            seconds is not None
            and p.max_video_seconds is not None
            and seconds > p.max_video_seconds
        ):
            out.append(
                MediaProblem(
                    "max_video_seconds", round(seconds, 2), f"at most {p.max_video_seconds} s",
                    f"video lasts {seconds:,.1f} s; {p.name} takes at most {p.max_video_seconds} s",
                )
            )  # fmt: skip
        return out
    if width is None or height is None:
        return out
    sides = f"{width}x{height} px"
    low, high = p.image_min_side, p.image_max_side
    if low is not None and min(width, height) < low:
        out.append(
            MediaProblem(
                "image_min_side", min(width, height), f"at least {low} px a side",
                f"image is {sides}; {p.name} needs at least {low} px on each side",
            )
        )  # fmt: skip
    if high is not None and max(width, height) > high:
        out.append(
            MediaProblem(
                "image_max_side", max(width, height), f"at most {high} px a side",
                f"image is {sides}; {p.name} takes at most {high} px on each side",
            )
        )  # fmt: skip
    if p.image_max_pixels is not None and width * height > p.image_max_pixels:
        out.append(
            MediaProblem(
                "image_max_pixels", width * height, f"at most {p.image_max_pixels:,} pixels",
                f"image is {sides} ({width * height:,} pixels); {p.name} takes at most "
                f"{p.image_max_pixels:,}",
            )
        )  # fmt: skip
    ratio = width / height if height else 0.0
    lo_ratio, hi_ratio = p.image_min_aspect, p.image_max_aspect
    if (lo_ratio is not None and ratio < lo_ratio) or (hi_ratio is not None and ratio > hi_ratio):
        bounds = [f"from {lo_ratio:g}" if lo_ratio is not None else ""]
        bounds.append(f"to {hi_ratio:g}" if hi_ratio is not None else "")
        allowed = "width/height " + " ".join(b for b in bounds if b)
        out.append(
            MediaProblem(
                "image_aspect", round(ratio, 4), allowed,
                f"image is {sides} (aspect {ratio:.2f}); {p.name} takes {allowed}",
            )
        )  # fmt: skip
    return out
