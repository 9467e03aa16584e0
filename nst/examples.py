"""Built-in example pictures, so the studio works offline with no upload.

* Photos (``CONTENT_EXAMPLES``) are four real photographs, bundled downscaled (512 px long side at
  most) in ``nst/assets/photos`` and credited (``Example.credit``; docs/examples.md). The rocket
  launch is the default. The code-drawn pictures stay for tests (``DRAWN_CONTENTS``, ``DRAWN_STYLES``).
* Styles are five famous public-domain paintings in ``nst/assets/styles``, credited by painter,
  title and year; two figurative ones wait behind ``ENABLE_FIGURATIVE`` (issue #20).

Everything is deterministic (same pixels on every machine and run) and cached per
process; images are H x W x 3 float32 RGB in [0, 1], like ``nst.images.load_image``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SUPERSAMPLE = 2  # draw at 2x and downsample: smooth edges without anti-aliased primitives
CONTENT_SIZE = (640, 480)
STYLE_SIZE = (512, 512)


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    kind: str  # "content" | "style"
    description: str
    draw: Callable[[], Image.Image]
    credit: str = ""  # author, title and year (and licence) of a bundled picture


def _canvas(size: tuple[int, int], colour: tuple[int, int, int]) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE), colour)
    return image, ImageDraw.Draw(image)


def _finish(image: Image.Image, size: tuple[int, int], grain: float = 0.0, seed: int = 0) -> Image.Image:
    image = image.resize(size, Image.Resampling.LANCZOS)
    if grain:
        rng = np.random.default_rng(seed)
        pixels = np.asarray(image, np.float32)
        pixels += rng.normal(0.0, grain, pixels.shape[:2])[..., None]
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image


def _s(value: float) -> int:
    return int(round(value * SUPERSAMPLE))


# ---- styles ------------------------------------------------------------------------------
_BOLD = [(230, 57, 70), (241, 196, 15), (29, 53, 87), (69, 123, 157), (42, 157, 143), (244, 162, 97),
         (131, 56, 236), (255, 0, 110), (6, 214, 160), (17, 17, 17), (250, 240, 220), (58, 134, 255)]


def _circles() -> Image.Image:
    rng = np.random.default_rng(1913)
    width, height = STYLE_SIZE
    image, draw = _canvas(STYLE_SIZE, (240, 230, 210))
    cells = 4
    cell = width / cells
    for row in range(cells):
        for col in range(cells):
            x0, y0 = col * cell, row * cell
            draw.rectangle([_s(x0), _s(y0), _s(x0 + cell), _s(y0 + cell)], fill=_BOLD[rng.integers(len(_BOLD))])
            cx, cy = x0 + cell / 2 + rng.uniform(-6, 6), y0 + cell / 2 + rng.uniform(-6, 6)
            radius = cell * 0.44
            for _ in range(int(rng.integers(3, 6))):
                colour = _BOLD[rng.integers(len(_BOLD))]
                draw.ellipse([_s(cx - radius), _s(cy - radius), _s(cx + radius), _s(cy + radius)], fill=colour)
                radius *= rng.uniform(0.55, 0.8)
    image = image.filter(ImageFilter.GaussianBlur(SUPERSAMPLE * 0.8))  # a painted, not printed, edge
    return _finish(image, STYLE_SIZE, grain=6.0, seed=1)


def _stroke_field(seed: int, angle_at: Callable[[float, float], float], palette: list[tuple[int, int, int]],
                  background: tuple[int, int, int], strokes: int, length: tuple[float, float],
                  thickness: tuple[float, float]) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = STYLE_SIZE
    image, draw = _canvas(STYLE_SIZE, background)
    for _ in range(strokes):
        x, y = rng.uniform(-20, width + 20), rng.uniform(-20, height + 20)
        base = np.array(palette[rng.integers(len(palette))], np.float32)
        colour = tuple(int(c) for c in np.clip(base + rng.normal(0, 14, 3), 0, 255))
        steps = 6
        seg = rng.uniform(*length) / steps
        points = [(x, y)]
        for _ in range(steps):  # follow the flow field: curved strokes
            angle = angle_at(x, y)
            x, y = x + seg * math.cos(angle), y + seg * math.sin(angle)
            points.append((x, y))
        w = _s(rng.uniform(*thickness))
        draw.line([(_s(px), _s(py)) for px, py in points], fill=colour, width=w, joint="curve")
        r = w / 2
        for px, py in (points[0], points[-1]):  # round caps
            draw.ellipse([_s(px) - r, _s(py) - r, _s(px) + r, _s(py) + r], fill=colour)
    return image


def _strokes() -> Image.Image:
    def angle(x: float, y: float) -> float:
        return 1.3 * math.sin(x / 70.0) + 0.9 * math.cos(y / 55.0) + 0.4
    palette = [(214, 40, 40), (247, 127, 0), (252, 191, 73), (234, 226, 183), (0, 48, 73), (38, 70, 83),
               (42, 157, 143), (233, 196, 106)]
    image = _stroke_field(7, angle, palette, (30, 40, 60), strokes=2600, length=(18, 46), thickness=(4, 10))
    return _finish(image, STYLE_SIZE, grain=4.0, seed=7)


def _swirls() -> Image.Image:
    centres = [(150, 170, 1.0), (380, 120, -1.0), (300, 360, 1.0), (80, 420, -1.0)]

    def angle(x: float, y: float) -> float:
        vx, vy = 0.6, 0.0  # a gentle wind plus vortices
        for cx, cy, spin in centres:
            dx, dy = x - cx, y - cy
            d2 = dx * dx + dy * dy + 400.0
            vx += spin * -dy * 3000.0 / d2
            vy += spin * dx * 3000.0 / d2
        return math.atan2(vy, vx)
    palette = [(16, 42, 97), (35, 77, 160), (83, 130, 205), (155, 190, 230), (242, 210, 80), (250, 235, 160),
               (20, 30, 60), (60, 110, 120)]
    image = _stroke_field(1889, angle, palette, (15, 25, 60), strokes=3200, length=(16, 40), thickness=(3, 8))
    return _finish(image, STYLE_SIZE, grain=4.0, seed=1889)


def _mosaic() -> Image.Image:
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(330)
    width, height = STYLE_SIZE
    n = 260
    seeds = rng.uniform(0, 1, (n, 2)) * (width, height)
    palette = np.array([(176, 58, 46), (203, 67, 53), (212, 172, 13), (241, 196, 15), (23, 165, 137),
                        (36, 113, 163), (40, 55, 71), (236, 240, 241), (160, 64, 0), (125, 60, 152)], np.float32)
    colours = palette[rng.integers(len(palette), size=n)] + rng.normal(0, 10, (n, 3))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    distances, nearest = cKDTree(seeds).query(np.stack([x.ravel(), y.ravel()], 1), k=2)
    gap = (distances[:, 1] - distances[:, 0]).reshape(height, width)
    pixels = colours[nearest[:, 0]].reshape(height, width, 3)
    grout = np.clip((gap - 1.5) / 2.0, 0.0, 1.0)[..., None]  # dark lines where two tiles meet
    pixels = pixels * grout + np.array([35, 30, 28], np.float32) * (1 - grout)
    pixels += rng.normal(0, 7, (height, width, 1))  # tiles are not perfectly flat
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


# ---- contents ----------------------------------------------------------------------------
def _vertical_gradient(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float],
                       top: tuple[int, int, int], bottom: tuple[int, int, int]) -> None:
    x0, y0, x1, y1 = (_s(v) for v in box)
    for y in range(y0, y1):
        t = (y - y0) / max(1, y1 - y0 - 1)
        draw.line([(x0, y), (x1, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))


def _hill(draw: ImageDraw.ImageDraw, base: float, amplitude: float, phase: float, period: float,
          colour: tuple[int, int, int]) -> None:
    width, height = CONTENT_SIZE
    points = [(_s(x), _s(base - amplitude * math.sin(x / period + phase) - 0.4 * amplitude * math.sin(x / (period / 2.7))))
              for x in range(0, width + 8, 8)]
    draw.polygon(points + [(_s(width), _s(height)), (0, _s(height))], fill=colour)


def _landscape() -> Image.Image:
    width, height = CONTENT_SIZE
    image, draw = _canvas(CONTENT_SIZE, (0, 0, 0))
    _vertical_gradient(draw, (0, 0, width, 300), (90, 150, 220), (200, 225, 245))
    draw.ellipse([_s(470), _s(50), _s(540), _s(120)], fill=(255, 236, 150))
    for cx, cy, r in ((140, 80, 26), (175, 70, 32), (210, 82, 24), (380, 130, 18), (405, 122, 24)):
        draw.ellipse([_s(cx - r * 1.4), _s(cy - r), _s(cx + r * 1.4), _s(cy + r)], fill=(250, 250, 252))
    _hill(draw, 250, 40, 0.3, 90, (96, 140, 110))
    _hill(draw, 320, 30, 2.0, 70, (70, 135, 70))
    _hill(draw, 400, 18, 4.0, 50, (92, 160, 72))
    # house
    draw.rectangle([_s(250), _s(270), _s(390), _s(370)], fill=(235, 220, 190))
    draw.polygon([(_s(238), _s(272)), (_s(320), _s(205)), (_s(402), _s(272))], fill=(170, 60, 45))
    draw.rectangle([_s(305), _s(315), _s(335), _s(370)], fill=(100, 65, 40))
    for wx in (265, 350):
        draw.rectangle([_s(wx), _s(290), _s(wx + 26), _s(314)], fill=(120, 170, 210))
        draw.line([(_s(wx + 13), _s(290)), (_s(wx + 13), _s(314))], fill=(240, 240, 240), width=_s(2))
    draw.rectangle([_s(355), _s(215), _s(370), _s(250)], fill=(120, 55, 40))  # chimney
    # tree
    draw.rectangle([_s(140), _s(300), _s(156), _s(380)], fill=(95, 65, 40))
    for cx, cy, r in ((148, 275, 42), (120, 300, 30), (176, 300, 30)):
        draw.ellipse([_s(cx - r), _s(cy - r), _s(cx + r), _s(cy + r)], fill=(40, 110, 50))
    # path
    draw.polygon([(_s(312), _s(370)), (_s(328), _s(370)), (_s(380), _s(480)), (_s(270), _s(480))],
                 fill=(200, 180, 140))
    return _finish(image, CONTENT_SIZE, grain=3.0, seed=11)


def _still_life() -> Image.Image:
    width, height = CONTENT_SIZE
    image, draw = _canvas(CONTENT_SIZE, (0, 0, 0))
    _vertical_gradient(draw, (0, 0, width, 330), (70, 80, 95), (120, 125, 130))
    _vertical_gradient(draw, (0, 330, width, height), (150, 105, 70), (105, 70, 45))
    # vase: a stack of ellipses, darker at the edges
    for i in range(40):
        t = i / 39
        cy = 150 + 180 * t
        r = 40 + 45 * math.sin(math.pi * (0.15 + 0.8 * t))
        shade = int(40 * (1 - math.sin(math.pi * t)))
        draw.ellipse([_s(250 - r), _s(cy - 12), _s(250 + r), _s(cy + 12)], fill=(40 + shade, 80 + shade, 150 - shade))
    draw.rectangle([_s(228), _s(120), _s(272), _s(160)], fill=(45, 85, 150))
    # fruit with a highlight
    for cx, cy, r, colour in ((390, 340, 42, (200, 40, 40)), (455, 352, 34, (240, 170, 30)),
                              (420, 300, 30, (120, 170, 40)), (150, 350, 36, (230, 120, 30))):
        draw.ellipse([_s(cx - r), _s(cy - r), _s(cx + r), _s(cy + r)], fill=colour)
        draw.ellipse([_s(cx - r * 0.5), _s(cy - r * 0.6), _s(cx - r * 0.1), _s(cy - r * 0.25)],
                     fill=tuple(min(255, c + 70) for c in colour))
    draw.line([(0, _s(330)), (_s(width), _s(330))], fill=(80, 55, 35), width=_s(3))
    image = image.filter(ImageFilter.GaussianBlur(SUPERSAMPLE * 0.6))
    return _finish(image, CONTENT_SIZE, grain=3.0, seed=12)


def _city() -> Image.Image:
    rng = np.random.default_rng(1999)
    width, height = CONTENT_SIZE
    image, draw = _canvas(CONTENT_SIZE, (0, 0, 0))
    _vertical_gradient(draw, (0, 0, width, height), (40, 40, 90), (245, 150, 90))
    x = -10
    while x < width:
        w = rng.uniform(40, 90)
        top = rng.uniform(120, 330)
        grey = int(rng.uniform(25, 60))
        draw.rectangle([_s(x), _s(top), _s(x + w), _s(height)], fill=(grey, grey, grey + 15))
        for wy in np.arange(top + 10, height - 20, 18):
            for wx in np.arange(x + 6, x + w - 10, 14):
                if rng.uniform() < 0.45:
                    draw.rectangle([_s(wx), _s(wy), _s(wx + 7), _s(wy + 9)], fill=(255, 220, 130))
        x += w + rng.uniform(2, 10)
    draw.rectangle([0, _s(440), _s(width), _s(height)], fill=(20, 20, 28))
    return _finish(image, CONTENT_SIZE, grain=3.0, seed=13)


DRAWN_CONTENTS: dict[str, Example] = {e.key: e for e in (
    Example("landscape", "Landscape", "content", "a house on green hills under a blue sky", _landscape),
    Example("still_life", "Still life", "content", "a vase and fruit on a table", _still_life),
    Example("city", "City", "content", "a skyline with lit windows at dusk", _city),
)}

ASSETS = Path(__file__).resolve().parent / "assets" / "styles"
PHOTOS = Path(__file__).resolve().parent / "assets" / "photos"


def _bundled(name: str, folder: Path = ASSETS) -> Callable[[], Image.Image]:
    def load() -> Image.Image:
        with Image.open(folder / name) as image:
            return image.convert("RGB")
    return load


# The rocket launch is the default photo (first): landscape aspect like most photos, larger than the
# 512 px output (no enlargement), and its sky and smoke plume take brush strokes well; a face (the
# astronaut) is the harder case for the fast model and comes second. The cat (451 px) is enlarged
# to the output size like any small upload.
CONTENT_EXAMPLES: dict[str, Example] = {e.key: e for e in (
    Example("rocket", "Rocket launch", "content", "a Falcon 9 lifting off", _bundled("rocket.jpg", PHOTOS),
            "SpaceX, Falcon 9 DSCOVR launch, 2015 (public domain)"),
    Example("astronaut", "Astronaut", "content", "NASA portrait of Eileen Collins",
            _bundled("astronaut.jpg", PHOTOS), "NASA, portrait of astronaut Eileen Collins (public domain)"),
    Example("cat", "Cat", "content", "Chelsea the cat", _bundled("cat.jpg", PHOTOS),
            "Stefan van der Walt, Chelsea the cat (CC0)"),
    Example("coffee", "Coffee", "content", "a cup of coffee", _bundled("coffee.jpg", PHOTOS),
            "Rachel Michetti, a cup of coffee (CC0)"),
)}

STYLE_EXAMPLES: dict[str, Example] = {e.key: e for e in (
    Example("starry_night", "The Starry Night", "style", "swirling night sky over a village",
            _bundled("starry_night.jpg"), "Vincent van Gogh, The Starry Night, 1889"),
    Example("the_scream", "The Scream", "style", "a figure on a bridge under a blood-red sky",
            _bundled("the_scream.jpg"), "Edvard Munch, The Scream, 1893"),
    Example("shipwreck", "The Shipwreck of the Minotaur", "style", "a ship in a storm of foam and spray",
            _bundled("shipwreck_of_the_minotaur.jpg"), "J. M. W. Turner, The Shipwreck of the Minotaur, c. 1810"),
    Example("woman_with_a_hat", "Woman with a Hat", "style", "a Fauvist portrait in bold colour patches",
            _bundled("woman_with_a_hat.jpg"), "Henri Matisse, Woman with a Hat, 1905"),
    Example("great_wave", "The Great Wave off Kanagawa", "style", "a towering wave in Prussian blue",
            _bundled("great_wave.jpg"), "Katsushika Hokusai, The Great Wave off Kanagawa, c. 1831"),
)}

# Figurative paintings (faces, bodies): bundled and credited, offered only once issue #20 (figurative
# paintings) has landed, so they demo well. To enable: ENABLE_FIGURATIVE = True.
ENABLE_FIGURATIVE = False
FIGURATIVE_STYLES: dict[str, Example] = {e.key: e for e in (
    Example("van_gogh_self_portrait", "Self-Portrait with Straw Hat", "style", "Van Gogh's face in short strokes",
            _bundled("van_gogh_self_portrait.jpg"), "Vincent van Gogh, Self-Portrait with Straw Hat, 1887"),
    Example("tahitian_women", "Tahitian women", "style", "women by a stream in flat warm colour",
            _bundled("tahitian_women.jpg"), "Paul Gauguin, Tahitian women, 1890s"),
)}
if ENABLE_FIGURATIVE:
    STYLE_EXAMPLES.update(FIGURATIVE_STYLES)

DRAWN_STYLES: dict[str, Example] = {e.key: e for e in (
    Example("circles", "Circles", "style", "concentric rings in coloured squares", _circles),
    Example("strokes", "Strokes", "style", "thick warm brush strokes in a flow field", _strokes),
    Example("swirls", "Swirls", "style", "blue and yellow strokes around vortices", _swirls),
    Example("mosaic", "Mosaic", "style", "Voronoi tiles with dark grout", _mosaic),
)}


def get_example(key: str) -> Example:
    if key in CONTENT_EXAMPLES:
        return CONTENT_EXAMPLES[key]
    if key in STYLE_EXAMPLES:
        return STYLE_EXAMPLES[key]
    for table in (DRAWN_STYLES, DRAWN_CONTENTS, FIGURATIVE_STYLES):
        if key in table:
            return table[key]
    raise KeyError(f"no built-in example called {key!r}")


@functools.lru_cache(maxsize=None)
def _pixels(key: str) -> np.ndarray:
    image = get_example(key).draw()
    pixels = np.ascontiguousarray(np.asarray(image.convert("RGB"), np.float32) / np.float32(255))
    pixels.setflags(write=False)  # shared by every session: nobody may paint on it
    return pixels


def example_image(key: str) -> np.ndarray:
    """The example's pixels: H x W x 3 float32 in [0, 1], read-only, cached per process."""
    return _pixels(key)


__all__ = ["Example", "CONTENT_EXAMPLES", "STYLE_EXAMPLES", "DRAWN_STYLES", "DRAWN_CONTENTS", "FIGURATIVE_STYLES", "get_example", "example_image"]
