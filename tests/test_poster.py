"""Posters: tile plans cover the picture with equal overlapping tiles, blending keeps a uniform picture
uniform, print files carry 16 bits, DPI and an sRGB profile, and the paper presets have the right pixels."""

import numpy as np
import pytest

from nst.errors import ParamsError
from nst.print_output import painted_size, paper_for, read_print, save_print
from nst.tiling import feather, paste, plan_tiles


def test_tiles_are_equal_overlap_and_cover_the_picture():
    plan = plan_tiles(4961, 3508, 2048, 128)
    covered = np.zeros((3508, 4961), bool)
    for tile in plan.tiles:
        assert (tile.width, tile.height) == (plan.tile_width, plan.tile_height)
        covered[tile.y0:tile.y1, tile.x0:tile.x1] = True
    assert covered.all() and len(plan.tiles) == 6 and plan.tile_width <= 2048


def test_blending_a_constant_tile_into_the_same_constant_changes_nothing():
    plan = plan_tiles(300, 200, 128, 16)
    canvas = np.full((200, 300, 3), 0.5, np.float32)
    for tile in plan.tiles:
        paste(canvas, plan, tile, np.full((tile.height, tile.width, 3), 0.5, np.float32))
    assert np.allclose(canvas, 0.5)
    weight = feather(plan, plan.tiles[1])
    assert weight[:, 0].max() == 0.0  # a shared edge never reaches the picture


def test_a3_300_dpi_is_4961_by_3508_turned_to_the_photo():
    assert paper_for("A3", 300, 1024, 768).pixels == (4961, 3508)
    assert paper_for("A3", 300, 768, 1024).pixels == (3508, 4961)
    assert painted_size((4961, 3508), (1000, 1000), "pad") == (3508, 3508)
    with pytest.raises(ParamsError):
        paper_for("A5", 300, 10, 10)


def test_tiff_print_is_16_bit_with_dpi_profile_and_parameters(tmp_path):
    import tifffile

    pixels = np.linspace(0, 1, 40 * 30 * 3, dtype=np.float32).reshape(30, 40, 3)
    path = save_print(tmp_path / "p.tiff", pixels, 300, {"params": {"size": 512}})
    back, dpi, meta = read_print(path)
    with tifffile.TiffFile(path) as tif:
        assert tif.pages[0].dtype == np.uint16 and 34675 in tif.pages[0].tags
    assert dpi == 300 and meta == {"params": {"size": 512}}
    assert np.abs(back - pixels).max() < 1e-4  # more levels than 8 bits could hold


def test_the_detail_measure_does_not_pass_an_enlargement():
    from benchmarks.poster_analysis import lanczos, laplacian_energy

    rng = np.random.default_rng(0)
    small = rng.uniform(0, 1, (32, 48, 3)).astype(np.float32)
    enlarged = lanczos(small, 192, 128)
    painted = np.clip(enlarged + rng.normal(0, 0.1, enlarged.shape).astype(np.float32), 0, 1)
    assert laplacian_energy(painted) > 2 * laplacian_energy(enlarged)  # brushwork at the print size counts


def test_a_plan_in_a_process_holding_more_memory_counts_it_and_keeps_under_the_budget():
    from nst.memory import GB
    from nst.poster import plan_poster
    from nst.params import StyleParams

    params, budget = StyleParams(size=512), 8 * GB
    fresh = plan_poster(4961, 3508, 512, params, budget=budget)
    held = plan_poster(4961, 3508, 512, params, budget=budget, resident=3 * GB)
    assert held.scales[0].peak_bytes == fresh.scales[0].peak_bytes + 3 * GB  # a whole scale: the same step, plus
    big_fresh, big_held = fresh.scales[-1].plan, held.scales[-1].plan
    assert big_held.tile_width * big_held.tile_height < big_fresh.tile_width * big_fresh.tile_height  # smaller tiles
    assert all(s.peak_bytes <= budget for s in held.scales)
    assert held.peak_bytes > fresh.peak_bytes
