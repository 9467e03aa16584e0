"""Issue 18 on the pages: deletions elsewhere, hostile text shown as text, caps, bad ``?run=``, brush bytes."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.params import StyleParams
from nst.store import Store
from saved_runs import run_to_save
from test_gallery import app, data_dir, fake_result, ok, picture, texts  # noqa: F401 - data_dir is a fixture

HOSTILE = ("[click](https://evil.example/x) ![p](http://evil.example/p.png) <img src=http://evil.example/i.png> "
           ":red[RED] $x^2$ **bold** \u202Egnp.exe")


def save(store: Store, seed: int = 0, **labels) -> int:
    names = {"content_name": labels.pop("content_name", "a.png"), "style_names": labels.pop("style_names", ["s.png"])}
    return store.save(run_to_save(fake_result(seed, StyleParams(size=64)), content=picture(1),
                                  styles=[picture(7, 20, 20)], **names, **labels))


def markdown_values(at) -> list[str]:
    """Everything the page hands Streamlit's markdown renderer (element bodies and widget labels)."""
    values = [str(e.value) for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning",
                                        "error", "success") for e in getattr(at, kind)]
    values += [w.label for kind in ("button", "checkbox", "toggle", "text_input", "text_area") for w in getattr(at, kind)]
    return values


def assert_shown_as_text(at) -> None:
    values = markdown_values(at)
    assert any("click" in v for v in values), "the hostile text is not shown at all"
    for value in values:
        assert "](" not in value, value  # no link, no image fetch
        assert ":red[" not in value and not re.search(r"(?<!\\)<img", value), value
        assert not re.search(r"(?<!\\)\$x", value), value  # no maths
        assert not re.search(r"(?<!\\)\*\*bold", value), value
        assert "\u202e" not in value, value


# ---------------------------------------------------------------------------- 3: deleted elsewhere


@pytest.mark.parametrize("edit", ["favourite", "title", "notes"])
def test_editing_a_run_deleted_elsewhere_is_one_sentence(data_dir: Path, edit: str) -> None:
    with Store(data_dir) as store:
        run_id = save(store, title="doomed")
    at = app(run=str(run_id))
    with Store(data_dir) as store:
        store.delete_run(run_id)  # e.g. `nst gallery delete` in a terminal
    if edit == "favourite":
        at = at.toggle(key=f"fav_{run_id}").set_value(True).run()
    elif edit == "title":
        at = at.text_input(key=f"title_{run_id}").input("new title").run()
    else:
        at = at.text_area(key=f"notes_{run_id}").input("new notes").run()
    ok(at)
    shown = texts(at)
    assert f"Run {run_id} is no longer in the gallery" in shown, shown
    assert [b for b in at.button if b.key == "back"]  # the page is still there, with its way back


# ---------------------------------------------------------------------------- 4: caps and clipping


def test_title_and_notes_inputs_are_capped_and_cards_clip_titles(data_dir: Path) -> None:
    with Store(data_dir) as store:
        run_id = save(store, title="W" * 200)
    at = app(run=str(run_id))
    assert at.text_input(key=f"title_{run_id}").proto.max_chars == 200
    assert at.text_area(key=f"notes_{run_id}").proto.max_chars == 5000
    grid = app()
    card = next(m.value for m in grid.markdown if "WWW" in m.value)
    assert len(card) < 120 and "…" in card


def test_an_over_long_title_from_a_client_never_reaches_the_gallery(data_dir: Path) -> None:
    with Store(data_dir) as store:
        run_id = save(store, title="short")
    at = app(run=str(run_id))
    at.text_input(key=f"title_{run_id}").set_value("x" * 300).run()  # a client that ignores max_chars
    ok(at)  # Streamlit cuts the value to max_chars; the store would refuse the rest in one sentence
    with Store(data_dir) as store:
        assert len(store.get_run(run_id).title) <= 200


# ---------------------------------------------------------------------------- 5: user text is text


def test_hostile_titles_notes_and_names_are_shown_as_text(data_dir: Path) -> None:
    with Store(data_dir) as store:
        first = save(store, title=HOSTILE[:200], notes=HOSTILE, content_name="[c](https://evil.example).png",
                     style_names=[":red[s] $y$.png"])
        second = save(store, 1, content_name=HOSTILE[:100], style_names=["![s](http://evil.example/s.png)"])
    assert_shown_as_text(app())
    assert_shown_as_text(app(run=str(first)))
    assert_shown_as_text(app(run=str(second)))
    assert_shown_as_text(app(compare=f"{first},{second}"))


def test_plain_text_helper_escapes_markdown_and_neutralises_bidi() -> None:
    from studio.text import plain

    assert plain("a_b *c* [d](e) :red[f] $g$ `h` <i>") == r"a\_b \*c\* \[d\]\(e\) \:red\[f\] \$g\$ \`h\` \<i\>"
    assert "\u202e" not in plain("x\u202Eyz") and "\u2066" not in plain("\u2066q")
    assert plain("two\nlines") == "two lines"


# ---------------------------------------------------------------------------- 6: bad ?run=


@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775808", "\u00b2", "\uff11"])
def test_a_bad_run_number_in_the_address_is_one_sentence(data_dir: Path, value: str) -> None:
    with Store(data_dir) as store:
        save(store)
    at = app(run=value)
    assert "Run not found" in texts(at)
    assert not at.error


# ---------------------------------------------------------------------------- also: brush canvas bytes


def encoded(fmt: str, size=(32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (255, 0, 0, 128)).save(out, format=fmt)
    return out.getvalue()


def test_brush_bytes_are_decoded_like_uploads() -> None:
    from studio.panels.brush import decode_strokes

    masks, error = decode_strokes(encoded("PNG"), 24, 32)
    assert error is None and masks is not None
    for fmt in ("TGA", "ICO"):  # formats no upload may use
        masks, error = decode_strokes(encoded(fmt), 24, 32)
        assert masks is None and "JPEG, PNG" in error, error
    from test_edges import png_header

    masks, error = decode_strokes(png_header(12_000, 12_000), 24, 32)  # a bomb's header
    assert masks is None and "megapixel" in error
