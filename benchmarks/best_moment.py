"""The best moment of a run on the quality panel: how often the rule suggests an earlier snapshot than the
final image, and whether the loss terms could stand in for the scorecard.

    python -m benchmarks.best_moment [--size 256] [--preset default] [--pairs PHOTO:PAINTING,...]
                                     [--images ../shared/images] [--out bench-out/best_moment] [--sheet DIR]

For each pair of ``benchmarks.quality``'s panel it paints with the preset (cached per pair and preset in
``OUT/runs/KEY__PRESET/``: the final image, the final scale's snapshots the gallery would keep, and their
loss terms), measures every moment with the scorecard (cached in ``cards.json`` there), and applies
``nst.best_moment.suggest``. It also applies the same rule to the loss terms instead (content loss for
structure, style loss for the style gap) and reports the Kendall tau between each loss term and its
scorecard measure over a run's moments, and how often both pick the same moment: a free proxy would
spare the scorecard's cost in the job worker if it agreed.

Writes ``OUT/best_moment.json`` and ``OUT/best_moment.md``; with ``--sheet DIR`` a side-by-side JPEG
(the final image | the suggested moment, 256 px) of every run where the suggestion is earlier.
Presets: ``default`` (``StyleParams()``: 3 scales) and ``long`` (one scale of 200 steps, as
jcjohnson/neural-style runs: long enough to be overdone).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import SHARED_IMAGES
from benchmarks.quality import Config, Pair, panel
from nst.scorecard_measures import SCORECARD_VERSION

PRESETS = {"default": {}, "long": {"scales": 1, "iterations": 200}}


@dataclass(frozen=True)
class Moments:
    """One run's final-scale moments (snapshots, then the final image) and their loss terms."""

    steps: list[int | None]  # None: the final image
    pictures: list[np.ndarray]  # uint8
    losses: list[dict[str, float]]
    seconds: float


def paint(pair: Pair, preset: str, size: int, folder: Path, net) -> Moments:
    """The run's moments, from the cache or painted now (what the gallery would keep of it)."""
    from nst.images import load_image
    from nst.encode import from_uint8, save_png, to_uint8

    meta = folder / "moments.json"
    if meta.is_file():
        data = json.loads(meta.read_text())
        pictures = [to_uint8(load_image(folder / f"{_name(step)}.png").pixels) for step in data["steps"]]
        return Moments(data["steps"], pictures, data["losses"], data["seconds"])
    from nst.engine import stylize
    from nst.params import StyleParams
    from nst.run_types import RunInputs
    from nst.store.saving import losses_dict, pick_snapshots

    params = StyleParams(size=size).replace(**PRESETS[preset])
    result = stylize(RunInputs(pair.photo_pixels, [pair.painting_pixels]), params, net=net)
    final = to_uint8(result.image)
    kept = [s for s in pick_snapshots(result.snapshots) if s.image.shape == final.shape]
    last_scale = max((s.scale_index for s in kept), default=0)
    snaps = [s for s in kept if s.scale_index == last_scale and not np.array_equal(s.image, final)]
    moments = Moments([s.step for s in snaps] + [None], [s.image for s in snaps] + [final],
                      [losses_dict(s.losses) for s in snaps] + [losses_dict(result.losses)], result.seconds)
    folder.mkdir(parents=True, exist_ok=True)
    for step, picture in zip(moments.steps, moments.pictures):
        save_png(folder / f"{_name(step)}.png", from_uint8(picture))
    meta.write_text(json.dumps({"steps": moments.steps, "losses": moments.losses, "seconds": result.seconds,
                                "params": params.to_dict()}))
    return moments


def _name(step: int | None) -> str:
    return "final" if step is None else f"step{step:05d}"


def cards(pair: Pair, moments: Moments, folder: Path, net) -> list[dict[str, float]]:
    from nst.encode import from_uint8
    from nst.scorecard import moment_scorecards

    cache = folder / "cards.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    measured = moment_scorecards([from_uint8(p) for p in moments.pictures], pair.photo_pixels,
                                 [pair.painting_pixels], [1.0], net)
    cache.write_text(json.dumps(measured))
    return measured


def example_rule(moments: list[Any]) -> int:
    """The issue's example rule, for comparison: of the moments within 2 % of the lowest style gap, the
    highest structure (the earliest within 0.005). Unlike nst.best_moment's, it also moves away from the
    final image for a trade (a little closer to the painting for less of the photo)."""
    gaps = [m.card["style_gap"] for m in moments]
    close = [i for i, g in enumerate(gaps) if g <= min(gaps) * 1.02]
    top = max(moments[i].card["structure"] for i in close)
    return min(i for i in close if moments[i].card["structure"] >= top - 0.005)


def judge(moments: Moments, measured: list[dict[str, float]]) -> dict[str, Any]:
    """The rule on the scorecard and on the loss terms, and their agreement, for one run."""
    from scipy.stats import kendalltau

    from nst.best_moment import Moment, suggest, suggestion_dict

    by_card = [Moment(step, card) for step, card in zip(moments.steps, measured)]
    by_loss = [Moment(step, {"structure": -loss["content"], "style_gap": loss["style"]})
               for step, loss in zip(moments.steps, moments.losses)]
    picked, proxy = suggest(by_card), suggest(by_loss)
    tau = {}
    if len(measured) > 2:
        tau["structure~-content"] = float(kendalltau([c["structure"] for c in measured],
                                                     [-loss["content"] for loss in moments.losses]).statistic)
        tau["style_gap~style"] = float(kendalltau([c["style_gap"] for c in measured],
                                                  [loss["style"] for loss in moments.losses]).statistic)
    return {"moments": len(measured), "steps": moments.steps, "cards": measured,
            "suggestion": suggestion_dict(by_card, picked), "index": picked.index,
            "proxy_step": proxy.step, "proxy_agrees": proxy.index == picked.index, "tau": tau,
            "example_rule_step": moments.steps[example_rule(by_card)],
            "seconds": moments.seconds}


def run(cfg: Config, preset: str, net=None) -> dict[str, Any]:
    from nst.model import get_feature_net

    net = net or get_feature_net()
    rows = []
    for pair in panel(cfg):
        folder = cfg.out / "runs" / f"{pair.key}__{preset}"
        moments = paint(pair, preset, cfg.size, folder, net)
        row = {"pair": pair.key, "group": pair.group, **judge(moments, cards(pair, moments, folder, net))}
        rows.append(row)
        print(f"{pair.key}: {row['moments']} moments, suggestion {row['suggestion']['step']}, "
              f"proxy {row['proxy_step']}, tau {row['tau']}", flush=True)
    return {"size": cfg.size, "preset": preset, "cpu": cpu(), "rows": rows, "summary": summarise(rows)}


def cpu() -> str:
    """The CPU, its vector flags and the load average (timings mean little without them)."""
    import os

    from nst.precision import cpu_info

    name, flags = cpu_info()
    vector = " ".join(sorted(f for f in flags if f.startswith(("avx", "amx", "fma"))))
    return f"{name} ({os.cpu_count()} cores; {vector}); load average {os.getloadavg()[0]:.1f}"


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    earlier = [r["pair"] for r in rows if not r["suggestion"]["final"]]
    overdone = [r["pair"] for r in rows if r["suggestion"]["overdone"]]
    taus = {k: [r["tau"][k] for r in rows if k in r["tau"] and not np.isnan(r["tau"][k])]
            for k in ("structure~-content", "style_gap~style")}
    example = [r["pair"] for r in rows if r["example_rule_step"] is not None]
    return {"runs": len(rows), "earlier": len(earlier), "earlier_pairs": earlier,
            "example_rule_earlier": len(example), "example_rule_pairs": example,
            "with_overdone_stretch": len(overdone), "overdone_pairs": overdone,
            "proxy_agrees": sum(r["proxy_agrees"] for r in rows),
            "mean_tau": {k: float(np.mean(v)) if v else None for k, v in taus.items()},
            "min_tau": {k: float(np.min(v)) if v else None for k, v in taus.items()}}


def markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [f"Preset {report['preset']}, {report['size']} px, rule nst-moment-v1 on {SCORECARD_VERSION}; "
             f"{report['cpu']}.\n\n",
             f"- runs: {s['runs']}; suggestion earlier than the final image: {s['earlier']}; "
             f"with an overdone stretch: {s['with_overdone_stretch']}; the issue's example rule (within 2 % of "
             f"the lowest style gap, highest structure) picks an earlier moment in {s['example_rule_earlier']}\n",
             f"- the same rule on the loss terms picks the same moment in {s['proxy_agrees']} of {s['runs']}; "
             f"Kendall tau over a run's moments, mean (min): "
             + ", ".join(f"{k} {v:.2f} ({s['min_tau'][k]:.2f})" for k, v in s["mean_tau"].items() if v is not None)
             + "\n\n| pair | moments | suggested | example rule | proxy | structure final → suggested "
               "| style gap final → suggested | overdone |\n|---|---|---|---|---|---|---|---|\n"]
    for r in report["rows"]:
        final, chosen = r["cards"][-1], r["cards"][r["index"]]
        stretches = "; ".join(f"{o['from_step']}→{o['to_step'] or 'final'} (−{o['structure_lost']:.3f})"
                              for o in r["suggestion"]["overdone"]) or "—"
        lines.append(f"| {r['pair']} | {r['moments']} | {r['suggestion']['step'] or 'final'} | "
                     f"{r['example_rule_step'] or 'final'} | {r['proxy_step'] or 'final'} | {final['structure']:.3f} → {chosen['structure']:.3f} | "
                     f"{final['style_gap']:.3f} → {chosen['style_gap']:.3f} | {stretches} |\n")
    return "".join(lines)


def _earlier_cases(report: dict[str, Any], cfg: Config) -> list[tuple[dict[str, Any], list[Any]]]:
    """(row, [final, suggested] as 256 px PIL images) of every run whose suggestion is earlier."""
    from PIL import Image

    cases = []
    for r in report["rows"]:
        if r["suggestion"]["final"]:
            continue
        folder = cfg.out / "runs" / f"{r['pair']}__{report['preset']}"
        pictures = [Image.open(folder / f"{_name(step)}.png").convert("RGB") for step in (None, r["suggestion"]["step"])]
        for p in pictures:
            p.thumbnail((256, 256))
        cases.append((r, pictures))
    return cases


def side_by_side(report: dict[str, Any], cfg: Config, sheet_dir: Path) -> list[Path]:
    """final | suggested, 256 px each, for every run whose suggestion is earlier."""
    from PIL import Image

    written = []
    sheet_dir.mkdir(parents=True, exist_ok=True)
    for r, pictures in _earlier_cases(report, cfg):
        sheet = Image.new("RGB", (sum(p.width for p in pictures) + 8, max(p.height for p in pictures)), "white")
        sheet.paste(pictures[0], (0, 0))
        sheet.paste(pictures[1], (pictures[0].width + 8, 0))
        path = sheet_dir / f"{r['pair']}__{report['preset']}.jpg"
        sheet.save(path, quality=85)
        written.append(path)
    return written


def cases_sheet(report: dict[str, Any], cfg: Config, path: Path) -> Path | None:
    """One labelled JPEG of every run whose suggestion is earlier: a line of numbers, then final | suggested
    (the suggested step on the right)."""
    from PIL import Image, ImageDraw

    rows = []
    for r, pictures in _earlier_cases(report, cfg):
        final, chosen = r["cards"][-1], r["cards"][r["index"]]
        label = (f"{r['pair']}: final | step {r['suggestion']['step']}: structure {final['structure']:.3f} -> "
                 f"{chosen['structure']:.3f}, style gap {final['style_gap']:.3f} -> {chosen['style_gap']:.3f}")
        rows.append((label, pictures))
    if not rows:
        return None
    width = max(sum(p.width for p in pictures) + 8 for _, pictures in rows)
    heights = [16 + max(p.height for p in pictures) + 8 for _, pictures in rows]
    sheet = Image.new("RGB", (max(width, 640), sum(heights)), "white")
    draw, y = ImageDraw.Draw(sheet), 0
    for (label, pictures), height in zip(rows, heights):
        draw.text((2, y + 2), label, fill="black")
        sheet.paste(pictures[0], (0, y + 16))
        sheet.paste(pictures[1], (pictures[0].width + 8, y + 16))
        y += height
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, quality=82)
    return path


def cost(pair: Pair, moments: Moments, net, repeats: int = 3) -> dict[str, Any]:
    """Seconds to score one run's moments, interleaved: each picture on its own (``scorecard``: the photo
    and painting measured every time) vs all of them with the photo and painting measured once."""
    import time

    from nst.encode import from_uint8
    from nst.scorecard import moment_scorecards, scorecard

    pictures = [from_uint8(p) for p in moments.pictures]
    alone, batched = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        for picture in pictures:
            scorecard(picture, pair.photo_pixels, pair.painting_pixels, net)
        alone.append(time.perf_counter() - started)
        started = time.perf_counter()
        moment_scorecards(pictures, pair.photo_pixels, [pair.painting_pixels], [1.0], net)
        batched.append(time.perf_counter() - started)
    return {"pictures": len(pictures), "alone_s": float(np.median(alone)), "batched_s": float(np.median(batched)),
            "ratio": float(np.median(batched) / np.median(alone))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--preset", default="default", choices=sorted(PRESETS))
    parser.add_argument("--pairs", default="", help="comma-separated PHOTO:PAINTING (default: the whole panel)")
    parser.add_argument("--images", default=str(SHARED_IMAGES))
    parser.add_argument("--out", default="bench-out/best_moment")
    parser.add_argument("--sheet", default="", help="write final | suggested JPEGs of the earlier cases here")
    parser.add_argument("--cases", default="", help="write one labelled JPEG of all the earlier cases here")
    parser.add_argument("--cost", action="store_true", help="also time scoring the first pair's moments")
    args = parser.parse_args(argv)
    pairs = tuple(tuple(p.split(":", 1)) for p in args.pairs.split(",") if p.strip())
    cfg = Config(size=args.size, images=Path(args.images), out=Path(args.out), pairs=pairs)  # type: ignore[arg-type]
    report = run(cfg, args.preset)
    if args.cost:
        from nst.model import get_feature_net

        pair = panel(cfg)[0]
        folder = cfg.out / "runs" / f"{pair.key}__{args.preset}"
        report["cost"] = cost(pair, paint(pair, args.preset, cfg.size, folder, None), get_feature_net())
        print(f"scoring cost: {report['cost']}; {cpu()}")
    (cfg.out / f"best_moment_{args.preset}.json").write_text(json.dumps(report, indent=2))
    (cfg.out / f"best_moment_{args.preset}.md").write_text(markdown(report))
    print(markdown(report))
    if args.sheet:
        for path in side_by_side(report, cfg, Path(args.sheet)):
            print(f"written: {path}")
    if args.cases and cases_sheet(report, cfg, Path(args.cases)):
        print(f"written: {args.cases}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
