"""Tests for nst.images: every image is generated here, nothing touches the network."""

from __future__ import annotations

import io
import json
import os
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from nst.errors import ImageError
from nst.encode import from_uint8, png_bytes, save_png, to_uint8
from nst.images import MAX_ASPECT, MAX_PIXELS, MIN_SIDE, LoadedImage, load_image, read_png_metadata
from nst.resize import resize_long_side, resize_to

RED = (220, 30, 40)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def gradient_rgb(width: int = 48, height: int = 32) -> Image.Image:
    """A picture with distinct pixels everywhere, so lossless round trips are checkable."""
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None].repeat(width, 1)
    array = np.stack([x, y, 255 - x], axis=2).round().astype(np.uint8)
    return Image.fromarray(array)


def assert_rgb_float(loaded: LoadedImage, width: int, height: int) -> None:
    assert loaded.pixels.shape == (height, width, 3)
    assert loaded.pixels.dtype == np.float32
    assert loaded.pixels.flags["C_CONTIGUOUS"]
    assert loaded.size == (width, height)
    assert 0.0 <= loaded.pixels.min() and loaded.pixels.max() <= 1.0


def png_from_parts(width: int, height: int, bit_depth: int, scanlines: bytes) -> bytes:
    """Build an RGB PNG by hand: lets tests claim sizes or depths Pillow would not write."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, bit_depth, 2, 0, 0, 0)  # 2 = RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanlines))
        + chunk(b"IEND", b"")
    )


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose header claims a size we never allocate: only a few bytes of data."""
    return png_from_parts(width, height, 8, b"\x00" * 64)


# --------------------------------------------------------------------------- formats


def test_lossless_formats_load_exact_pixels() -> None:
    source = gradient_rgb()
    expected = np.asarray(source, dtype=np.float32) / 255
    for fmt, options in [("PNG", {}), ("BMP", {}), ("TIFF", {}), ("WEBP", {"lossless": True})]:
        loaded = load_image(encode(source, fmt, **options))
        assert loaded.format == fmt
        assert loaded.notes == ()
        assert loaded.original_size == (48, 32)
        assert_rgb_float(loaded, 48, 32)
        np.testing.assert_array_equal(loaded.pixels, expected, err_msg=fmt)


def test_jpeg_loads_close_to_source() -> None:
    source = Image.new("RGB", (40, 30), RED)
    loaded = load_image(encode(source, "JPEG", quality=95))
    assert loaded.format == "JPEG"
    assert_rgb_float(loaded, 40, 30)
    np.testing.assert_allclose(loaded.pixels[15, 20], np.array(RED) / 255, atol=0.03)


def test_sixteen_bit_grey_png_scales_full_range() -> None:
    ramp = np.linspace(0, 65535, 32 * 32).reshape(32, 32).astype(np.uint16)
    ramp[0, 0], ramp[0, 1] = 65535, 0
    image = Image.fromarray(ramp)
    assert image.mode == "I;16"
    loaded = load_image(encode(image, "PNG"))
    assert_rgb_float(loaded, 32, 32)
    assert "16-bit image reduced to 8 bits" in loaded.notes
    assert to_uint8(loaded.pixels)[0, 0].tolist() == [255, 255, 255]
    assert to_uint8(loaded.pixels)[0, 1].tolist() == [0, 0, 0]
    # Mid-grey stays mid-grey (a wrong divisor such as 255 or 65536*256 would not).
    middle = ramp[16, 16] / 65535
    np.testing.assert_allclose(loaded.pixels[16, 16], [middle] * 3, atol=1e-6)


def test_sixteen_bit_rgb_png_is_noted() -> None:
    # Pillow cannot write 48-bit RGB, so build it: each row is filter byte 0 + samples.
    row = b"\x00" + np.full((20, 3), 40000, dtype=">u2").tobytes()
    loaded = load_image(png_from_parts(20, 20, 16, row * 20))
    assert "16-bit image reduced to 8 bits" in loaded.notes
    np.testing.assert_allclose(loaded.pixels[5, 5], [40000 / 65535] * 3, atol=1 / 255)


def test_palette_png_without_transparency() -> None:
    image = Image.new("P", (20, 20), 0)
    image.putpalette([10, 200, 30] + [0, 0, 0] * 255)
    loaded = load_image(encode(image, "PNG"))
    assert_rgb_float(loaded, 20, 20)
    assert to_uint8(loaded.pixels)[3, 3].tolist() == [10, 200, 30]
    assert loaded.notes == ()


def test_grey_png_becomes_three_equal_channels() -> None:
    image = Image.new("L", (20, 18), 77)
    loaded = load_image(encode(image, "PNG"))
    assert_rgb_float(loaded, 20, 18)
    assert to_uint8(loaded.pixels)[9, 9].tolist() == [77, 77, 77]


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_composited_on_white(mode: str) -> None:
    image = Image.new("RGBA", (20, 20), (0, 0, 0, 0))  # fully transparent black
    image.paste((0, 0, 0, 255), (0, 0, 10, 20))  # opaque black left half
    image.paste((0, 0, 0, 128), (10, 0, 20, 10))  # half-transparent black top right
    loaded = load_image(encode(image.convert(mode), "PNG"))
    assert "transparent areas composited on white" in loaded.notes
    pixels = to_uint8(loaded.pixels)
    assert pixels[5, 2].tolist() == [0, 0, 0]  # opaque stays black
    assert pixels[15, 15].tolist() == [255, 255, 255]  # transparent becomes white
    assert pixels[5, 15].tolist() == [127, 127, 127]  # 128/255 black over white


def test_opaque_rgba_gets_no_transparency_note() -> None:
    image = Image.new("RGBA", (20, 20), (*RED, 255))
    loaded = load_image(encode(image, "PNG"))
    assert loaded.notes == ()
    assert to_uint8(loaded.pixels)[0, 0].tolist() == list(RED)


def test_palette_png_with_transparent_index() -> None:
    image = Image.new("P", (20, 20), 1)
    image.putpalette([0, 0, 255, 255, 0, 0] + [0, 0, 0] * 254)
    image.paste(0, (0, 0, 10, 20))
    loaded = load_image(encode(image, "PNG", transparency=1))
    assert "transparent areas composited on white" in loaded.notes
    pixels = to_uint8(loaded.pixels)
    assert pixels[5, 5].tolist() == [0, 0, 255]
    assert pixels[5, 15].tolist() == [255, 255, 255]


def test_animated_gif_uses_first_frame() -> None:
    frames = [Image.new("RGB", (20, 20), colour) for colour in [(255, 0, 0), (0, 0, 255)]]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    loaded = load_image(data, name="anim.gif")
    assert loaded.format == "GIF"
    assert "first frame of an animated GIF used" in loaded.notes
    assert to_uint8(loaded.pixels)[10, 10].tolist() == [255, 0, 0]


@pytest.mark.parametrize("fmt, label", [("WEBP", "WebP"), ("PNG", "PNG")])
def test_animated_webp_and_png_use_first_frame(fmt: str, label: str) -> None:
    frames = [Image.new("RGB", (20, 20), colour) for colour in [(255, 0, 0), (0, 0, 255)]]
    options = {"lossless": True} if fmt == "WEBP" else {}
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, **options)
    loaded = load_image(data)
    assert f"first frame of an animated {label} used" in loaded.notes
    assert to_uint8(loaded.pixels)[10, 10].tolist() == [255, 0, 0]


def test_single_frame_gif_has_no_frame_note() -> None:
    loaded = load_image(encode(Image.new("RGB", (20, 20), RED), "GIF"))
    assert not any("frame" in note for note in loaded.notes)


def test_cmyk_jpeg_is_converted_to_rgb() -> None:
    image = Image.new("CMYK", (20, 20), (0, 255, 255, 0))  # pure red in CMYK
    loaded = load_image(encode(image, "JPEG", quality=95))
    assert "CMYK converted to RGB" in loaded.notes
    assert_rgb_float(loaded, 20, 20)
    red, green, blue = to_uint8(loaded.pixels)[10, 10].tolist()
    assert red > 240 and green < 15 and blue < 15


def test_wrong_extension_is_noted_only_when_it_disagrees() -> None:
    data = encode(gradient_rgb(), "PNG")
    assert "file is a PNG although named .jpg" in load_image(data, name="holiday.jpg").notes
    assert load_image(data, name="holiday.png").notes == ()
    assert load_image(data, name="holiday").notes == ()
    assert load_image(data).notes == ()


def test_wrong_extension_noted_for_paths_too(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(encode(Image.new("RGB", (20, 20), RED), "JPEG"))
    assert "file is a JPEG although named .png" in load_image(path).notes


def test_exif_orientation_is_applied() -> None:
    # Stored 40 wide x 20 tall, red in the top-left corner. Orientation 6 means "rotate
    # 90 degrees clockwise to display", which moves top-left to top-right.
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste(RED, (0, 0, 8, 8))
    exif = image.getexif()
    exif[0x0112] = 6
    loaded = load_image(encode(image, "JPEG", quality=95, exif=exif.tobytes()))
    assert "rotated according to EXIF orientation" in loaded.notes
    assert loaded.pixels.shape == (40, 20, 3)
    assert loaded.original_size == (40, 20)
    pixels = to_uint8(loaded.pixels)
    assert pixels[3, 16][0] > 200 and pixels[3, 16][2] < 60  # top-right is red
    assert pixels[3, 3][0] < 60 and pixels[3, 3][2] > 200  # top-left is blue


def test_loads_from_path_and_pathlike_string(tmp_path: Path) -> None:
    path = tmp_path / "in.png"
    gradient_rgb().save(path)
    from_path = load_image(path)
    from_string = load_image(str(path))
    np.testing.assert_array_equal(from_path.pixels, from_string.pixels)
    assert from_path.format == "PNG"


# --------------------------------------------------------------------------- refusals


def refusal(source: object, **kwargs: object) -> str:
    with pytest.raises(ImageError) as caught:
        load_image(source, **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_empty_bytes_refused() -> None:
    assert "is empty" in refusal(b"", name="upload.png")


def test_random_bytes_refused() -> None:
    noise = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    message = refusal(noise, name="noise.jpg")
    assert message == (
        "noise.jpg is not an image file we can read (JPEG, PNG, WebP, BMP, TIFF or GIF)."
    )


def test_text_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a picture\n" * 20)
    message = refusal(path)
    assert message.startswith("notes.txt is not an image file we can read")


def test_unaccepted_format_refused_like_any_non_image() -> None:
    data = encode(Image.new("RGB", (32, 32), RED), "ICO")
    assert "is not an image file we can read" in refusal(data, name="favicon.ico")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files_refused(fmt: str) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), fmt)
    message = refusal(data[: len(data) // 2], name=f"cut.{fmt.lower()}")
    assert message.startswith(f"cut.{fmt.lower()} is damaged or incomplete")


def test_header_over_limit_refused_without_decoding() -> None:
    data = png_with_header(20_000, 20_000)  # 400 MP claimed, ~100 bytes of data
    started = time.perf_counter()
    message = refusal(data, name="bomb.png")
    assert time.perf_counter() - started < 0.5
    assert message == "bomb.png is 400.0 megapixels, more than the 120-megapixel limit."


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_header_just_over_limit_refused_with_dimensions() -> None:
    # Between our limit and twice it, Pillow only warns; our own check must refuse.
    message = refusal(png_with_header(12_000, 11_000))
    assert message == (
        "The image is 132.0 megapixels (12000x11000), more than the 120-megapixel limit."
    )


def test_header_at_phone_photo_size_passes_size_check(recwarn: pytest.WarningsRecorder) -> None:
    # 108 MP is allowed: the refusal must be about the (fake) data, not the size, and
    # Pillow must not warn about a decompression bomb.
    message = refusal(png_with_header(12_000, 9_000))
    assert "damaged or incomplete" in message
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_too_small_refused_and_minimum_accepted() -> None:
    message = refusal(encode(Image.new("RGB", (15, 100)), "PNG"), name="tiny.png")
    assert message == f"tiny.png is 15x100 pixels; both sides must be at least {MIN_SIDE} pixels."
    assert load_image(encode(Image.new("RGB", (16, 16)), "PNG")).size == (16, 16)


def test_extreme_aspect_ratio_refused() -> None:
    message = refusal(encode(Image.new("RGB", (16, 400)), "PNG"))
    assert "16x400" in message and f"{MAX_ASPECT}:1" in message
    assert load_image(encode(Image.new("RGB", (16, 320)), "PNG")).size == (16, 320)


def test_colour_formats_without_exact_rgb_conversion_refused() -> None:
    data = encode(Image.new("LAB", (20, 20)), "TIFF")
    assert "unusual colour format" in refusal(data, name="lab.tif")


def test_missing_path_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jpg"
    assert refusal(missing) == f"There is no file at {missing}."


def test_directory_refused(tmp_path: Path) -> None:
    assert "is a folder, not an image file" in refusal(tmp_path)


def test_empty_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "zero.png"
    path.touch()
    assert refusal(path) == "zero.png is empty."


def test_name_is_never_opened_as_a_path(tmp_path: Path) -> None:
    decoy = tmp_path / "decoy.png"
    Image.new("RGB", (20, 20), (0, 255, 0)).save(decoy)
    loaded = load_image(encode(Image.new("RGB", (20, 20), RED), "PNG"), name=str(decoy))
    assert to_uint8(loaded.pixels)[0, 0].tolist() == list(RED)


# --------------------------------------------------------------------------- big images


def test_huge_jpeg_decodes_reduced_with_max_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafted: list[tuple[int, int]] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, *args: object) -> object:
        result = original_draft(self, *args)  # type: ignore[arg-type]
        drafted.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    path = tmp_path / "big.jpg"
    image = Image.new("RGB", (9000, 7000), (0, 0, 255))
    image.paste(RED, (0, 0, 4500, 7000))
    image.save(path, quality=80)
    assert 9000 * 7000 < MAX_PIXELS
    loaded = load_image(path, max_side=512)
    width, height = loaded.size
    assert 512 <= width < 9000  # reduced while decoding, never below what was asked for
    assert height == pytest.approx(width * 7000 / 9000, abs=2)
    assert loaded.original_size == (9000, 7000)
    assert drafted == [(1125, 875)]  # libjpeg decoded at 1/8 scale, not full size
    pixels = to_uint8(loaded.pixels)
    assert pixels[height // 2, width // 4][0] > 200  # left half still red
    assert pixels[height // 2, 3 * width // 4][2] > 200  # right half still blue


def test_max_side_never_goes_below_requested_for_lossless() -> None:
    loaded = load_image(encode(gradient_rgb(400, 300), "PNG"), max_side=100)
    assert max(loaded.size) >= 100
    assert max(loaded.size) < 400
    assert load_image(encode(gradient_rgb(400, 300), "PNG"), max_side=1000).size == (400, 300)


# --------------------------------------------------------------------------- resizing


@pytest.mark.parametrize(
    "shape, long_side, expected",
    [
        ((300, 400), 100, (75, 100)),
        ((400, 300), 100, (100, 75)),
        ((30, 40), 80, (60, 80)),
        ((100, 300), 200, (67, 200)),  # 66.7 rounds to 67
        ((301, 100), 30, (30, 10)),  # 9.97 rounds to 10
    ],
)
def test_resize_long_side_shapes(
    shape: tuple[int, int], long_side: int, expected: tuple[int, int]
) -> None:
    pixels = np.random.default_rng(2).random((*shape, 3), dtype=np.float32)
    resized = resize_long_side(pixels, long_side)
    assert resized.shape == (*expected, 3)
    assert resized.dtype == np.float32
    assert 0.0 <= resized.min() and resized.max() <= 1.0  # Lanczos overshoot is clipped


def test_resize_keeps_constant_image_constant() -> None:
    pixels = np.full((120, 90, 3), 0.3, dtype=np.float32)
    resized = resize_long_side(pixels, 37)
    assert resized.shape == (37, 28, 3)
    np.testing.assert_allclose(resized, 0.3, atol=1e-5)


def test_resize_long_side_same_size_returns_copy() -> None:
    pixels = np.random.default_rng(3).random((20, 30, 3), dtype=np.float32)
    resized = resize_long_side(pixels, 30)
    np.testing.assert_array_equal(resized, pixels)
    resized[0, 0, 0] = 5.0
    assert pixels[0, 0, 0] != 5.0


def test_resize_keeps_colour_where_it_was() -> None:
    pixels = np.zeros((40, 40, 3), dtype=np.float32)
    pixels[:, :20, 0] = 1.0  # left half red
    resized = resize_to(pixels, 10, 10)
    assert resized[5, 1, 0] > 0.95 and resized[5, 8, 0] < 0.05
    assert resized[..., 1:].max() < 1e-6


def test_downscaling_filters_fine_detail_instead_of_aliasing() -> None:
    # One-pixel stripes shrunk 10x must become even grey; a cheap filter that picks
    # single pixels would produce solid black or white bands (moire) instead.
    stripes = np.zeros((100, 100, 3), dtype=np.float32)
    stripes[:, ::2] = 1.0
    resized = resize_to(stripes, 10, 10)
    assert np.abs(resized - 0.5).max() < 0.1  # edges see an unbalanced pattern


def test_resize_to_single_channel_mask() -> None:
    mask = np.zeros((50, 80), dtype=np.float32)
    mask[:, 40:] = 1.0
    resized = resize_to(mask, 16, 10)
    assert resized.shape == (10, 16)
    assert resized.dtype == np.float32
    assert resized[5, 1] < 0.05 and resized[5, 14] > 0.95


def test_resize_precision_is_not_eight_bit() -> None:
    pixels = np.full((10, 10, 3), 0.1234567, dtype=np.float32)
    resized = resize_to(pixels, 20, 20)
    np.testing.assert_allclose(resized, 0.1234567, atol=1e-6)


# --------------------------------------------------------------------------- conversions


def test_uint8_round_trip_and_rounding() -> None:
    values = np.array([[[0.0, 0.5, 1.0]]], dtype=np.float32)
    assert to_uint8(values).tolist() == [[[0, 128, 255]]]
    assert to_uint8(np.array([-0.5, 1.7, np.nan])).tolist() == [0, 255, 0]
    every_byte = np.arange(256, dtype=np.uint8)
    floats = from_uint8(every_byte)
    assert floats.dtype == np.float32
    np.testing.assert_array_equal(to_uint8(floats), every_byte)
    with pytest.raises(TypeError):
        from_uint8(np.array([1000], dtype=np.uint16))


# --------------------------------------------------------------------------- saving


def test_png_round_trip_keeps_pixels_and_metadata(tmp_path: Path) -> None:
    pixels = from_uint8(np.asarray(gradient_rgb()))
    params = {"style_weight": 1e4, "layers": ["conv1_1", "conv2_1"], "seed": 7}
    metadata = {"nst:params": params, "nst:note": "Ünïcode ✓ caption", "nst:steps": 300}
    path = save_png(tmp_path / "out" / "result.png", pixels, metadata)
    assert path == tmp_path / "out" / "result.png"
    assert [p.name for p in path.parent.iterdir()] == ["result.png"]  # no temp file left

    loaded = load_image(path)
    np.testing.assert_array_equal(to_uint8(loaded.pixels), to_uint8(pixels))

    for source in (path, path.read_bytes()):
        text = read_png_metadata(source)
        assert json.loads(text["nst:params"]) == params
        assert text["nst:note"] == "Ünïcode ✓ caption"  # strings stored as they are
        assert json.loads(text["nst:steps"]) == 300


def test_png_bytes_is_an_rgb_png() -> None:
    data = png_bytes(np.full((16, 24, 3), 0.5, dtype=np.float32))
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (24, 16))
    assert read_png_metadata(data) == {}


def test_png_bytes_refuses_uint8_input() -> None:
    with pytest.raises(TypeError):
        png_bytes(np.zeros((16, 16, 3), dtype=np.uint8))


def test_save_png_overwrites_atomically(tmp_path: Path) -> None:
    path = tmp_path / "result.png"
    save_png(path, np.zeros((16, 16, 3), dtype=np.float32))
    save_png(path, np.ones((16, 16, 3), dtype=np.float32))
    assert to_uint8(load_image(path).pixels).min() == 255
    assert [p.name for p in tmp_path.iterdir()] == ["result.png"]


def test_save_png_under_a_file_raises_image_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    target = blocker / "sub" / "out.png"
    with pytest.raises(ImageError) as caught:
        save_png(target, np.zeros((16, 16, 3), dtype=np.float32))
    assert str(caught.value) == (
        f"Cannot save the image to {target}: part of the folder path is a file, not a folder."
    )
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_save_png_into_read_only_folder_raises_image_error(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ImageError, match="permission denied"):
            save_png(folder / "out.png", np.zeros((16, 16, 3), dtype=np.float32))
    finally:
        folder.chmod(0o700)


def test_read_png_metadata_refuses_other_formats() -> None:
    with pytest.raises(ImageError, match="is not a PNG file"):
        read_png_metadata(encode(Image.new("RGB", (16, 16)), "JPEG"))
