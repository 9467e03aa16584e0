"""Fast mode numbers: preview latency at 512 px, and VGG19 steps saved by ``init=fast``.

    python -m benchmarks.fast [--content C] [--style S]

Needs the real TF-Hub model (``NST_FAST_MODEL`` or network) and, for the second number, the
real VGG19 weights. Where the model cannot be loaded it prints "not measured (model
unreachable)": a stand-in model's numbers say nothing about the real one.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "images"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=str(SHARED / "content" / "tubingen.jpg"))
    parser.add_argument("--style", default=str(SHARED / "style" / "starry_night.jpg"))
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()

    from nst.fast import fast_model_available, stylize_fast
    from nst.images import load_image

    available, reason = fast_model_available()
    if not available:
        print(f"fast preview latency at {args.size} px: not measured (model unreachable): {reason}")
        print("steps saved by init=fast: not measured (model unreachable)")
        return
    content = load_image(args.content, max_side=args.size).pixels
    style = load_image(args.style, max_side=512).pixels
    from nst.images import resize_long_side

    content = resize_long_side(content, args.size)
    stylize_fast(content, [style])  # warm-up: tracing
    started = time.perf_counter()
    for _ in range(3):
        stylize_fast(content, [style])
    print(f"fast preview latency at {args.size} px: {(time.perf_counter() - started) / 3:.3f} s")

    from nst.engine import stylize
    from nst.params import StyleParams

    base = StyleParams(size=args.size)
    reference = stylize(content, [style], base)
    target = reference.losses.total
    fast = stylize(content, [style], base.replace(init="fast"))
    reached = next((h["step"] for h in fast.history if h["scale"] == len(base.scale_sizes()) - 1
                    and h["total"] <= target), None)
    print(f"init=content final loss {target:.4f} after {reference.steps} steps; "
          f"init=fast reaches it at step {reached} of {fast.steps}")


if __name__ == "__main__":
    main()
