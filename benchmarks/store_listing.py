"""How fast the gallery's store lists runs when it holds 1,000 of them.

    python -m benchmarks.store_listing [--runs 1000] [--repeats 5] [--data-dir DIR] [--json OUT.json]

Fills a fresh store (a temporary folder unless --data-dir names one that does not exist
yet) with fake runs: 64 px images, 3 snapshots each, 12 content images and 8 style images
shared between them (as in a real gallery), every 10th run a favourite. Then times what
the gallery's first paint does: ``count_runs()`` + ``list_runs(limit=50)`` + the 50
thumbnails, with and without filters, plus opening a store (migration check + orphan
cleanup scan). Prints the numbers; not a test (nothing is asserted).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from nst.params import StyleParams
from nst.run_types import LossTerms, RunInputs, RunLabels, RunToSave
from nst.store import Store, image_hash


def _fake_result(rng: np.random.Generator, size: int, i: int) -> SimpleNamespace:
    losses = LossTerms(float(rng.uniform(0.5, 3)), 0.5, 0.3, 0.01)
    snaps = [SimpleNamespace(step=s * 10, scale_index=0, image=rng.integers(0, 256, (size, size, 3), dtype=np.uint8),
                             losses=losses) for s in (1, 2, 3)]
    return SimpleNamespace(
        image=rng.uniform(0, 1, (size, size, 3)).astype(np.float32), status="finished", message="",
        steps=30, seconds=float(rng.uniform(5, 120)), losses=losses,
        history=[{"step": s, "scale": 0, "elapsed": s * 0.1, **losses.to_dict()} for s in range(1, 31)],
        snapshots=snaps, params=StyleParams(size=256, style_weight=float(1 + i % 7)),
        device="CPU", weights_id="bench",
    )


def fill(store: Store, runs: int, size: int) -> float:
    rng = np.random.default_rng(0)
    contents = [rng.uniform(0, 1, (size, size, 3)).astype(np.float32) for _ in range(12)]
    styles = [rng.uniform(0, 1, (size, size, 3)).astype(np.float32) for _ in range(8)]
    start = time.perf_counter()
    for i in range(runs):
        inputs = RunInputs(contents[i % 12], [styles[i % 8]], content_name=f"content{i % 12}.jpg",
                           style_names=[f"style{i % 8}.jpg"])
        store.save(RunToSave(_fake_result(rng, size, i), inputs, RunLabels(title=f"run {i}", favourite=i % 10 == 0)))
    return time.perf_counter() - start


def timed(fn, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        with Store(data_dir) as store:
            fill_seconds = fill(store, args.runs, args.size)
        db_bytes = sum(p.stat().st_size for p in data_dir.glob("gallery.sqlite3*"))
        image_bytes = sum(p.stat().st_size for p in (data_dir / "images").glob("*/*"))

        open_ms = timed(lambda: Store(data_dir).close(), args.repeats)
        store = Store(data_dir)
        content = image_hash(np.random.default_rng(0).uniform(0, 1, (args.size, args.size, 3)).astype(np.float32))
        style = store.list_runs(content_hash=content, limit=1)[0].styles[0].sha256

        def first_page(**filters) -> None:
            store.count_runs(**filters)
            runs = store.list_runs(limit=50, **filters)
            thumbs = store.thumbnails([r.id for r in runs])
            assert len(thumbs) == len(runs)

        def page_one_by_one() -> None:
            for r in store.list_runs(limit=50):
                store.thumbnail_bytes(r.id)

        results = {
            "open store (migrate check + orphan scan)": open_ms,
            "count + list 50 newest + 50 thumbnails (one query)": timed(first_page, args.repeats),
            "list 50 newest + 50 thumbnail_bytes() calls": timed(page_one_by_one, args.repeats),
            "... page 20 (offset 950)": timed(lambda: store.list_runs(limit=50, offset=950), args.repeats),
            "... fastest first": timed(lambda: store.list_runs(limit=50, sort="fastest"), args.repeats),
            "... favourites only": timed(lambda: first_page(favourites=True), args.repeats),
            "... one content image": timed(lambda: first_page(content_hash=content), args.repeats),
            "... one content + style pair, by score": timed(
                lambda: store.list_runs(content_hash=content, style_hash=style, sort="score"), args.repeats),
            "distinct_contents() + distinct_styles()": timed(
                lambda: (store.distinct_contents(), store.distinct_styles()), args.repeats),
            "get_run (with history)": timed(lambda: store.get_run(args.runs // 2), args.repeats),
        }
        thumbs = store.thumbnails([r.id for r in store.list_runs(limit=50)])
        store.close()

    print(f"{args.runs} runs of {args.size} px saved in {fill_seconds:.1f} s "
          f"({fill_seconds / args.runs * 1000:.1f} ms per run, fsync included); "
          f"database {db_bytes / 1e6:.1f} MB, image files {image_bytes / 1e6:.1f} MB; "
          f"thumbnails {statistics.mean(len(t) for t in thumbs.values()) / 1000:.1f} kB on average")
    print(f"{'operation':58s} {'median ms':>10s} {'best ms':>9s}")
    for name, (median, best) in results.items():
        print(f"{name:58s} {median:10.1f} {best:9.1f}")
    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "fill_seconds": fill_seconds,
                                         "ms": {k: {"median": m, "best": b} for k, (m, b) in results.items()}},
                                        indent=2))


if __name__ == "__main__":
    main()
