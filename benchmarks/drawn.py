"""Drawn test paintings with figures, for the quality benchmark's object-copying cases.

The four paintings in ../shared include one portrait (Woman with a Hat). These add cases
whose objects we know exactly: a brushy "portrait" with two large faces (eyes, brows,
nose, mouth, hair) and an open hand, painted in thick strokes on a stroked background. A
default that copies objects pastes these faces and the hand into the photo; one that
transfers brushwork does not. Deterministic (fixed seed), drawn by code, so they can be
shipped with the benchmark.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = (512, 640)  # width, height: a portrait format, like most figure paintings


def _stroke_field(draw: ImageDraw.ImageDraw, rng: np.random.Generator, box: tuple[int, int, int, int],
                  palette: list[tuple[int, int, int]], count: int, length: float, width: int) -> None:
    """Short thick strokes in random directions: the painting's brushwork."""
    x0, y0, x1, y1 = box
    for _ in range(count):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        angle = rng.uniform(0, math.pi)
        dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
        colour = tuple(int(c) for c in np.clip(np.array(palette[rng.integers(len(palette))])
                                                + rng.normal(0, 14, 3), 0, 255))
        draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=colour, width=width)


def _face(draw: ImageDraw.ImageDraw, cx: float, cy: float, scale: float, skin: tuple[int, int, int]) -> None:
    s = scale
    draw.ellipse([cx - 95 * s, cy - 140 * s, cx + 95 * s, cy - 20 * s], fill=(60, 35, 25))  # hair
    draw.ellipse([cx - 80 * s, cy - 110 * s, cx + 80 * s, cy + 100 * s], fill=skin)  # face
    for side in (-1, 1):
        ex = cx + side * 35 * s
        draw.ellipse([ex - 22 * s, cy - 30 * s, ex + 22 * s, cy - 8 * s], fill=(245, 240, 230))  # eye white
        draw.ellipse([ex - 10 * s, cy - 30 * s, ex + 10 * s, cy - 8 * s], fill=(40, 70, 110))  # iris
        draw.ellipse([ex - 5 * s, cy - 24 * s, ex + 5 * s, cy - 14 * s], fill=(10, 10, 10))  # pupil
        draw.line([(ex - 25 * s, cy - 45 * s), (ex + 22 * s, cy - 50 * s)], fill=(50, 30, 20),
                  width=max(2, int(7 * s)))  # brow
    draw.line([(cx, cy - 10 * s), (cx - 10 * s, cy + 30 * s), (cx + 6 * s, cy + 34 * s)],
              fill=(150, 90, 70), width=max(2, int(5 * s)))  # nose
    draw.chord([cx - 35 * s, cy + 35 * s, cx + 35 * s, cy + 75 * s], 0, 180, fill=(170, 40, 45))  # mouth


def _hand(draw: ImageDraw.ImageDraw, cx: float, cy: float, skin: tuple[int, int, int]) -> None:
    draw.rounded_rectangle([cx - 45, cy - 10, cx + 45, cy + 80], radius=25, fill=skin)  # palm
    for i, (dx, length) in enumerate(((-36, 70), (-12, 90), (12, 95), (34, 80))):
        draw.rounded_rectangle([cx + dx - 10, cy - length, cx + dx + 10, cy + 5], radius=10, fill=skin)
        draw.line([(cx + dx - 10, cy - length + 25 + 3 * i), (cx + dx + 10, cy - length + 25 + 3 * i)],
                  fill=(170, 110, 90), width=2)  # knuckle crease
    draw.rounded_rectangle([cx + 40, cy + 5, cx + 95, cy + 28], radius=11, fill=skin)  # thumb


@functools.lru_cache(maxsize=1)
def drawn_portrait() -> np.ndarray:
    """Two faces and a hand in thick strokes on a stroked ground (H x W x 3 float32 in [0, 1])."""
    rng = np.random.default_rng(12)
    image = Image.new("RGB", SIZE, (70, 90, 120))
    draw = ImageDraw.Draw(image)
    w, h = SIZE
    _stroke_field(draw, rng, (0, 0, w, h), [(60, 90, 140), (200, 150, 60), (40, 120, 90), (180, 70, 60)],
                  count=1400, length=34, width=7)
    _face(draw, w * 0.34, h * 0.32, 1.0, (225, 170, 130))
    _face(draw, w * 0.72, h * 0.55, 0.75, (205, 150, 115))
    _hand(draw, w * 0.30, h * 0.80, (230, 180, 140))
    # paint over everything lightly, so the figures are made of strokes too, like a painting
    _stroke_field(draw, rng, (0, 0, w, h), [(230, 180, 140), (60, 90, 140), (200, 150, 60)],
                  count=500, length=12, width=2)
    image = image.filter(ImageFilter.GaussianBlur(0.8))
    return np.asarray(image, np.float32) / 255.0


DRAWN = {"drawn_portrait": drawn_portrait}
