"""Spatial control: automatic flat-area mask, user masks, and the leakage metric."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from nst.engine import stylize
from nst.errors import ImageError
from nst.masks import flat_area_mask, leakage, load_mask, style_mask
from nst.params import StyleParams

PARAMS = StyleParams(size=64, scales=1, iterations=25, style_weight=10.0)


@pytest.fixture
def half_flat() -> np.ndarray:
    """64 x 64: a flat grey-blue left half (a sky), a busy textured right half."""
    rng = np.random.default_rng(11)
    image = np.empty((64, 64, 3), np.float32)
    image[:, :32] = (0.55, 0.7, 0.9)
    image[:, 32:] = rng.uniform(0.0, 1.0, (64, 32, 3))
    return image


def test_automatic_mask_marks_the_flat_half_and_not_the_textured_half(half_flat):
    mask = flat_area_mask(half_flat)
    assert mask.shape == (64, 64)
    assert mask[:, :20].mean() < 0.15  # flat: keep the photo
    assert mask[:, 44:].mean() > 0.85  # textured: stylise
    assert 0.0 < mask[:, 30:34].mean() < 1.0  # feathered edge, no hard seam


def test_no_mask_and_no_protection_means_no_mask(half_flat):
    assert style_mask(half_flat) is None


def test_a_mask_of_another_size_is_resized(half_flat):
    small = np.zeros((7, 10), np.float32)
    small[:, 5:] = 1.0
    mask = style_mask(half_flat, user_mask=small)
    assert mask.shape == (64, 64)
    assert mask[:, :20].mean() < 0.1 and mask[:, 44:].mean() > 0.9


def test_mask_strength_softens_the_mask(half_flat):
    black = np.zeros((64, 64), np.float32)
    assert style_mask(half_flat, user_mask=black, mask_strength=0.25).mean() == pytest.approx(0.75, abs=1e-3)


def test_bad_mask_files_give_a_clear_error(tmp_path):
    with pytest.raises(ImageError):
        load_mask(b"this is not an image", name="mask.png")
    buffer = io.BytesIO()
    Image.fromarray(np.full((20, 30), 255, np.uint8)).save(buffer, format="PNG")
    assert load_mask(buffer.getvalue()).shape == (20, 30)
    assert load_mask(buffer.getvalue()).min() == pytest.approx(1.0)


def test_leakage_metric_on_constructed_images(half_flat):
    rng = np.random.default_rng(3)
    leaked = half_flat.copy()
    leaked[:, :32] += rng.normal(0, 0.1, (64, 32, 3)).astype(np.float32)
    clean = leakage(half_flat, half_flat)
    dirty = leakage(np.clip(leaked, 0, 1), half_flat)
    assert 0.3 < clean.flat_fraction < 0.5  # the left half, eroded
    assert clean.leakage < 1e-6
    assert dirty.leakage > 100 * max(clean.leakage, 1e-6)
    # the rest of the picture is measured apart (only the seam pixels see the added noise)
    assert dirty.detail_elsewhere == pytest.approx(clean.detail_elsewhere, rel=0.1)


def test_full_black_mask_keeps_the_photo(tiny_net, half_flat, style_image):
    black = np.zeros((64, 64), np.float32)
    kept = stylize(half_flat, [style_image], PARAMS, net=tiny_net, mask=black)
    painted = stylize(half_flat, [style_image], PARAMS, net=tiny_net)
    assert np.abs(kept.image - half_flat).mean() < 0.02
    assert np.abs(painted.image - half_flat).mean() > 2 * np.abs(kept.image - half_flat).mean()


def test_protecting_flat_areas_halves_leakage_and_keeps_painting_elsewhere(tiny_net, half_flat, style_image):
    plain = stylize(half_flat, [style_image], PARAMS, net=tiny_net)
    protected = stylize(half_flat, [style_image], PARAMS.replace(protect_flat=1.0), net=tiny_net)
    assert protected.leakage["leakage"] <= 0.5 * plain.leakage["leakage"]
    assert protected.leakage["detail_elsewhere"] >= 0.7 * plain.leakage["detail_elsewhere"]


def test_params_validate_mask_settings():
    from nst.errors import ParamsError

    with pytest.raises(ParamsError, match="protect_flat"):
        StyleParams(protect_flat=1.5)
    with pytest.raises(ParamsError, match="mask_strength"):
        StyleParams(mask_strength=-0.1)
