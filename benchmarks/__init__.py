"""Benchmarks (not tests): numbers for the README and closing notes, measured on this machine."""

from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the checkout, or beside the folder of worktrees (/work/wt/<name> -> /work/shared)
SHARED_IMAGES = next((p / "shared" / "images" for p in (_ROOT.parent, _ROOT.parent.parent) if (p / "shared").is_dir()),
                     _ROOT.parent / "shared" / "images")
