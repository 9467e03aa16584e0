"""Built-in example pictures, so the studio works offline with no upload (credits: docs/examples.md).

* Photos are four real photographs in the public domain or CC0, bundled at their own size (at most
  640 px) in ``nst/assets/photos``: NASA's portrait of astronaut Eileen Collins (the default: a face
  is what friends recognise first, and at 512 x 512 px it is exactly the default output size, so it
  is neither enlarged nor cropped), the Falcon 9 DSCOVR launch, a cup of coffee and Chelsea the cat.
  The cat (451 px) is enlarged to the output size like any smaller upload.
* Styles are famous public-domain paintings, bundled at 512 px on the long side in
  ``nst/assets/styles`` and credited by painter, title and year (``Example.credit``). The Great Wave
  is 485 px: paintings are used at the output size times ``style_scale``, so at 512 px it is
  enlarged by 6 %, which its broad forms do not show. The two figurative paintings added with it
  (``FIGURATIVE_STYLES``) are offered since the default stopped pasting their faces and figures
  into pictures (issue #20, docs/quality.md).

Images are H x W x 3 float32 RGB in [0, 1], like ``nst.images.load_image``, cached per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ASSETS = Path(__file__).resolve().parent / "assets"


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    kind: str  # "content" | "style"
    description: str
    file: str  # under nst/assets
    credit: str  # who made it, title and year; licence for photos


CONTENT_EXAMPLES: dict[str, Example] = {e.key: e for e in (
    Example("astronaut", "Astronaut", "content", "a portrait of astronaut Eileen Collins", "photos/astronaut.jpg",
            "NASA, astronaut Eileen Collins (public domain)"),
    Example("rocket", "Rocket launch", "content", "a Falcon 9 lifting off into a blue sky", "photos/rocket_launch.jpg",
            "SpaceX, Falcon 9 DSCOVR launch, 2015 (public domain)"),
    Example("coffee", "Coffee", "content", "a cup of coffee on a saucer", "photos/coffee.jpg",
            "Rachel Michetti, a cup of coffee (CC0)"),
    Example("cat", "Cat", "content", "Chelsea the cat", "photos/cat.jpg", "Stefan van der Walt, Chelsea the cat (CC0)"),
)}

PAINTINGS: dict[str, Example] = {e.key: e for e in (
    Example("starry_night", "The Starry Night", "style", "swirling night sky over a village",
            "styles/starry_night.jpg", "Vincent van Gogh, The Starry Night, 1889"),
    Example("the_scream", "The Scream", "style", "a figure on a bridge under a blood-red sky",
            "styles/the_scream.jpg", "Edvard Munch, The Scream, 1893"),
    Example("shipwreck", "The Shipwreck of the Minotaur", "style", "a ship in a storm of foam and spray",
            "styles/shipwreck_of_the_minotaur.jpg", "J. M. W. Turner, The Shipwreck of the Minotaur, c. 1810"),
    Example("woman_with_a_hat", "Woman with a Hat", "style", "a Fauvist portrait in bold colour patches",
            "styles/woman_with_a_hat.jpg", "Henri Matisse, Woman with a Hat, 1905"),
    Example("great_wave", "The Great Wave", "style", "a huge wave curling over boats, Fuji behind",
            "styles/great_wave.jpg", "Katsushika Hokusai, The Great Wave off Kanagawa, c. 1831"),
)}

FIGURATIVE_STYLES: dict[str, Example] = {e.key: e for e in (
    Example("self_portrait_straw_hat", "Self-Portrait with Straw Hat", "style", "Van Gogh's face in dashes of colour",
            "styles/self_portrait_straw_hat.jpg", "Vincent van Gogh, Self-Portrait with Straw Hat, 1887"),
    Example("tahitian_women", "Tahitian women", "style", "three figures by a stream in flat, warm colours",
            "styles/tahitian_women.jpg", "Paul Gauguin, Tahitian women, 1890s"),
)}

# what the studio offers (the first one is the default)
STYLE_EXAMPLES: dict[str, Example] = {**PAINTINGS, **FIGURATIVE_STYLES}
ALL_EXAMPLES: dict[str, Example] = {**CONTENT_EXAMPLES, **PAINTINGS, **FIGURATIVE_STYLES}


def get_example(key: str) -> Example:
    if key not in ALL_EXAMPLES:
        raise KeyError(f"no built-in example called {key!r}")
    return ALL_EXAMPLES[key]


@functools.lru_cache(maxsize=None)
def _pixels(key: str) -> np.ndarray:
    with Image.open(ASSETS / get_example(key).file) as image:
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB"), np.float32) / np.float32(255))
    pixels.setflags(write=False)  # shared by every session: nobody may paint on it
    return pixels


def example_image(key: str) -> np.ndarray:
    """The example's pixels: H x W x 3 float32 in [0, 1], read-only, cached per process."""
    return _pixels(key)
