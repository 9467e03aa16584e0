"""Quality benchmark: the old and new default preset on a fixed panel of pairs, judged by the scorecard.

    python -m benchmarks.quality [--size 512] [--presets v1,default] [--pairs PHOTO:PAINTING,...]
                                 [--images ../shared/images] [--out bench-out/quality] [--resume [--rescore]] [--quick]

The panel is every photo in ``IMAGES/content`` x every painting in ``IMAGES/style``, plus
the drawn portrait of ``benchmarks/drawn.py`` (two faces and a hand) with every photo. For
each pair and preset it runs the engine, times it, and measures the result with the
scorecard (``nst.scorecard``: structure kept, style gap, colour gap, share copied — none of
them the optimised loss) and the frozen ``nst score``. jcjohnson/neural-style's published
result, where ``IMAGES/reference/jcjohnson`` has one, is measured the same way.

Writes ``OUT/quality.json`` (every row), ``OUT/quality.md`` (the scorecard table, means per
group and the time ratio of the presets), ``OUT/contact_sheet.jpg`` (photo | painting | each
preset | jcjohnson) and each result as ``OUT/images/PHOTO__PAINTING__PRESET.png``. With
``--resume`` a pair already run (its row in ``OUT/runs``) is not run again, so the panel can
be done in parts. ``--quick`` is a smoke run (64 px, few steps).

Presets (``benchmarks/quality_presets.py``): ``v1`` is the default before issue #12 (five conv1 style
layers weighted equally), ``v2`` the one of #12 and ``v3`` the one of #20, all frozen; ``default`` is
``StyleParams()`` as it is now. The others are the candidates measured when choosing a default
(docs/quality.md, docs/speed.md).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from benchmarks import SHARED_IMAGES
from benchmarks.drawn import DRAWN
from benchmarks.quality_presets import BEFORE_21, PRESETS

ROOT = Path(__file__).resolve().parents[1]
# jcjohnson/neural-style's published results are named PHOTO_SHORT.png
REFERENCE_NAMES = {"starry_night": "starry", "the_scream": "scream", "shipwreck": "shipwreck"}
# paintings with faces / figures / hands in them (issue #20 added the self-portrait and the Gauguin)
FIGURATIVE = ("woman-with-hat-matisse", "van_gogh_self_portrait_straw_hat", "gauguin_tahitian_women",
              "drawn_portrait")

@dataclass(frozen=True)
class Config:
    size: int = 512
    presets: tuple[str, ...] = ("v1", "default")
    images: Path = SHARED_IMAGES
    out: Path = Path("bench-out/quality")
    pairs: tuple[tuple[str, str], ...] = ()  # empty = the whole panel
    resume: bool = False
    rescore: bool = False  # with resume: measure the kept results again (after a scorecard change)
    quick: bool = False  # 64 px, 2 scales of few steps: a smoke run


@dataclass(frozen=True)
class Pair:
    photo: str
    painting: str
    photo_pixels: np.ndarray
    painting_pixels: np.ndarray
    reference: np.ndarray | None

    @property
    def key(self) -> str:
        return f"{self.photo}__{self.painting}"

    @property
    def group(self) -> str:
        return "figurative" if self.painting in FIGURATIVE else "textural"


# ---- the panel ------------------------------------------------------------------------------
def panel(cfg: Config) -> list[Pair]:
    """Every photo x (every painting + the drawn portrait), or the pairs asked for."""
    from nst.images import load_image

    photos = {p.stem: p for p in sorted((cfg.images / "content").glob("*.jpg"))}
    paintings: dict[str, Callable[[], np.ndarray]] = {
        p.stem: (lambda p=p: load_image(p).pixels) for p in sorted((cfg.images / "style").glob("*.jpg"))}
    paintings.update(DRAWN)
    wanted = cfg.pairs or tuple((photo, painting) for photo in photos for painting in paintings)
    pairs = []
    for photo, painting in wanted:
        if photo not in photos or painting not in paintings:
            raise SystemExit(f"No pair {photo}:{painting} in {cfg.images} (photos: {', '.join(photos)}; "
                             f"paintings: {', '.join(paintings)}).")
        pairs.append(Pair(photo, painting, load_image(photos[photo]).pixels, paintings[painting](),
                          _reference(cfg.images, photo, painting)))
    return pairs


def _reference(images: Path, photo: str, painting: str) -> np.ndarray | None:
    from nst.images import load_image

    path = images / "reference" / "jcjohnson" / f"{photo}_{REFERENCE_NAMES.get(painting, '-')}.png"
    return load_image(path).pixels if path.is_file() else None


# ---- one run --------------------------------------------------------------------------------
def measure(image: np.ndarray, pair: Pair, net, size: int) -> dict[str, Any]:
    from nst.score import score_image
    from nst.scorecard import scorecard

    card = scorecard(image, pair.photo_pixels, pair.painting_pixels, net).to_dict()
    card["nst_score"] = score_image(image, pair.photo_pixels, [pair.painting_pixels], net, size=size).terms.total
    return card


def run_pair(pair: Pair, preset: str, cfg: Config, net) -> dict[str, Any]:
    from nst.engine import stylize
    from nst.run_types import RunInputs
    from nst.encode import save_png

    import nst.engine

    params = PRESETS[preset](cfg.size)
    nst.engine.CARRY_DETAIL = preset not in BEFORE_21
    if cfg.quick:
        params = params.replace(scales=2, iterations=6)
    started = time.perf_counter()
    result = stylize(RunInputs(pair.photo_pixels, [pair.painting_pixels]), params, net=net)
    wall = time.perf_counter() - started
    save_png(cfg.out / "images" / f"{pair.key}__{preset}.png", result.image)
    row = {"pair": pair.key, "group": pair.group, "preset": preset, "seconds": round(wall, 2),
           "steps": result.steps, "status": result.status, "params": result.params.to_dict()}
    row.update(measure(result.image, pair, net, cfg.size))
    return row


def run(cfg: Config, net=None, log: Callable[[str], None] = print) -> dict[str, Any]:
    from nst.model import get_feature_net

    net = net or get_feature_net()
    pairs = panel(cfg)
    (cfg.out / "runs").mkdir(parents=True, exist_ok=True)
    (cfg.out / "images").mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for pair in pairs:
        for preset in (*cfg.presets, "jcjohnson"):
            rows.append(_row(pair, preset, cfg, net, log))
    rows = [r for r in rows if r]
    report = {"cpu": _cpu(), "size": cfg.size, "presets": list(cfg.presets), "rows": rows,
              "summary": summarise(rows, cfg.presets), "step_time": step_times(cfg, net, 2 if cfg.quick else 5)}
    (cfg.out / "quality.json").write_text(json.dumps(report, indent=2))
    (cfg.out / "quality.md").write_text(markdown(report))
    contact_sheet(cfg.out / "contact_sheet.jpg", pairs, cfg)
    return report


def _cpu() -> str:
    """The CPU's name and the vector flags that decide VGG19's speed (timings mean little without them)."""
    from nst.precision import cpu_info

    name, flags = cpu_info()
    vector = sorted(f for f in flags if f.startswith(("avx", "amx", "fma")))
    return f"{name} ({os.cpu_count()} cores; {' '.join(vector) or 'no AVX'})"


def _row(pair: Pair, preset: str, cfg: Config, net, log: Callable[[str], None]) -> dict[str, Any]:
    saved = cfg.out / "runs" / f"{pair.key}__{preset}.json"
    image = cfg.out / "images" / f"{pair.key}__{preset}.png"
    if cfg.resume and saved.is_file():
        row = json.loads(saved.read_text())
        if cfg.rescore:
            from nst.images import load_image

            kept = pair.reference if preset == "jcjohnson" else load_image(image).pixels
            row.update(measure(kept, pair, net, cfg.size))
            saved.write_text(json.dumps(row))
        return row
    if preset == "jcjohnson":
        if pair.reference is None:
            return {}
        row = {"pair": pair.key, "group": pair.group, "preset": preset, "seconds": None}
        row.update(measure(pair.reference, pair, net, cfg.size))
    else:
        row = run_pair(pair, preset, cfg, net)
    saved.write_text(json.dumps(row))
    log(f"{pair.key} {preset}: " + ", ".join(f"{k} {_fmt(row[k])}" for k in _COLUMNS))
    return row


# ---- speed ---------------------------------------------------------------------------------
def step_times(cfg: Config, net, repeats: int = 5) -> dict[str, Any]:
    """Median seconds of one optimiser step of each preset at ``cfg.size`` (4:3), calls interleaved.

    A run of each preset takes the same number of steps (the budgets depend on scales and
    iterations only), so this ratio is the run-time ratio without the noise of a shared
    machine, which whole runs minutes apart pick up.
    """
    import tensorflow as tf

    from benchmarks.speed import median_times
    from nst.objective import Objective
    from nst.losses import LossForm

    image = np.random.default_rng(0).random((cfg.size * 3 // 4, cfg.size, 3), dtype=np.float32)
    tensor = tf.constant(image[None])
    fns = {}
    for preset in cfg.presets:
        params = PRESETS[preset](cfg.size)
        objective = Objective(net, LossForm.from_params(params))
        objective.set_weights(_weights(params))
        targets = objective.targets(image, [image], [1.0])
        fns[preset] = lambda o=objective, t=targets: o.value_and_grad(tensor, t)[1].numpy()
    medians = median_times(fns, repeats)
    steps = {p: PRESETS[p](cfg.size).total_steps() for p in cfg.presets}
    return {"median_step_s": medians, "steps": steps,
            "run_time_ratio": {p: medians[p] * steps[p] / (medians[cfg.presets[0]] * steps[cfg.presets[0]])
                               for p in cfg.presets}}


def _weights(params):
    from nst.run_types import Weights

    return Weights(params.content_weight, params.style_weight, params.tv_weight)


# ---- reporting ------------------------------------------------------------------------------
_COLUMNS = ("structure", "style_gap", "colour_gap", "copied", "nst_score", "seconds")


def _fmt(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def summarise(rows: list[dict[str, Any]], presets: tuple[str, ...]) -> dict[str, Any]:
    """Means per preset and group, and each preset's total time relative to the first preset's."""
    summary: dict[str, Any] = {}
    for preset in (*presets, "jcjohnson"):
        mine = [r for r in rows if r["preset"] == preset]
        for group in ("figurative", "textural", "all"):
            chosen = [r for r in mine if group == "all" or r["group"] == group]
            if chosen:
                summary[f"{preset}/{group}"] = {
                    k: float(np.mean([r[k] for r in chosen])) for k in _COLUMNS if chosen[0][k] is not None}
        if preset != "jcjohnson" and mine:
            summary[f"{preset}/seconds_total"] = float(sum(r["seconds"] for r in mine))
    base = summary.get(f"{presets[0]}/seconds_total")
    for preset in presets[1:]:
        if base and f"{preset}/seconds_total" in summary:
            summary[f"{preset}/time_ratio_to_{presets[0]}"] = summary[f"{preset}/seconds_total"] / base
    return summary


def markdown(report: dict[str, Any]) -> str:
    head = "| pair | preset | " + " | ".join(_COLUMNS) + " |\n|" + "---|" * (len(_COLUMNS) + 2) + "\n"
    versions = ", ".join(sorted({r["version"] for r in report["rows"] if r.get("version")}))
    lines = [f"CPU: {report['cpu']}; size {report['size']} px; scorecard {versions} "
             "(structure: higher is better; style_gap, colour_gap, copied, nst_score: lower is better)\n",
             head + "".join(f"| {r['pair']} | {r['preset']} | " + " | ".join(_fmt(r[k]) for k in _COLUMNS)
                            + " |\n" for r in report["rows"]),
             "\nMeans\n\n" + "| preset/group | " + " | ".join(_COLUMNS) + " |\n|" + "---|" * (len(_COLUMNS) + 1)
             + "\n" + "".join(f"| {k} | " + " | ".join(_fmt(v.get(c)) for c in _COLUMNS) + " |\n"
                               for k, v in report["summary"].items() if isinstance(v, dict)),
             "\n" + "".join(f"- {k}: {v:.3f}\n" for k, v in report["summary"].items() if not isinstance(v, dict)),
             "\nStep time at {} px (median, interleaved): ".format(report["size"])
             + ", ".join(f"{p} {t:.3f} s" for p, t in report["step_time"]["median_step_s"].items())
             + "; run-time ratio (steps x step time): "
             + ", ".join(f"{p} {r:.3f}" for p, r in report["step_time"]["run_time_ratio"].items()) + "\n"]
    return "".join(lines)


CELL = 224  # px: each picture fits a CELL x CELL box on the sheet


def contact_sheet(path: Path, pairs: list[Pair], cfg: Config) -> None:
    """One row per pair: photo | painting | each preset's result | jcjohnson's (where published)."""
    from PIL import Image, ImageDraw

    from nst.encode import to_uint8
    from nst.images import load_image

    labels = ["photo", "painting", *cfg.presets, "jcjohnson"]
    sheet = Image.new("RGB", (CELL * len(labels), 20 + CELL * len(pairs)), "white")
    draw = ImageDraw.Draw(sheet)
    for col, label in enumerate(labels):
        draw.text((col * CELL + 6, 4), label, fill="black")
    for row, pair in enumerate(pairs):
        results = []
        for preset in cfg.presets:
            file = cfg.out / "images" / f"{pair.key}__{preset}.png"
            results.append(load_image(file).pixels if file.is_file() else None)
        for col, image in enumerate([pair.photo_pixels, pair.painting_pixels, *results, pair.reference]):
            if image is None:
                continue
            thumb = Image.fromarray(to_uint8(image))
            thumb.thumbnail((CELL - 4, CELL - 4))
            sheet.paste(thumb, (col * CELL + (CELL - thumb.width) // 2, 20 + row * CELL + (CELL - thumb.height) // 2))
    sheet.save(path, quality=90)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--presets", default="v1,default", help=f"comma-separated, of {', '.join(PRESETS)}")
    parser.add_argument("--pairs", default="", help="comma-separated PHOTO:PAINTING (default: the whole panel)")
    parser.add_argument("--images", default=str(SHARED_IMAGES))
    parser.add_argument("--out", default="bench-out/quality")
    parser.add_argument("--resume", action="store_true", help="keep rows already in OUT/runs")
    parser.add_argument("--rescore", action="store_true", help="with --resume: measure kept results again")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 64 px, few steps")
    args = parser.parse_args(argv)
    presets = tuple(p.strip() for p in args.presets.split(",") if p.strip())
    unknown = sorted(set(presets) - set(PRESETS))
    if unknown:
        parser.error(f"unknown preset(s) {', '.join(unknown)}; choose from {', '.join(PRESETS)}")
    images = Path(args.images)
    if not (images / "content").is_dir():
        parser.error(f"no sample images in {images} (needs content/ and style/ folders; ../shared/images has them)")
    pairs = tuple(tuple(p.split(":", 1)) for p in args.pairs.split(",") if p.strip())
    cfg = Config(size=64 if args.quick else args.size, presets=presets, images=images, out=Path(args.out),
                 pairs=pairs, resume=args.resume or args.rescore, rescore=args.rescore, quick=args.quick)  # type: ignore[arg-type]
    report = run(cfg)
    print(markdown(report))
    print(f"written: {cfg.out / 'quality.md'}, {cfg.out / 'contact_sheet.jpg'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
