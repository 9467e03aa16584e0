"""Old code against new code, interleaved in one run: wall and CPU time of the same CLI command.

    python -m benchmarks.versus --old-rev main [--cases stylize512,cold,print2048] [--rounds 3]
                                [--new-dir .] [--json OUT.json]

On a machine shared with others the wall time of one run says little; two versions run one after
the other, alternating (old, new, new, old, ...), see the same load, so their *ratio* is what this
reports (median over rounds), with each process's CPU time (user + system, all threads) beside it
and the load average before and after. ``--old-rev`` is any git revision of this repository,
unpacked with ``git archive`` into a temporary folder (the repository is not touched); both trees
run with this interpreter.

Cases (tubingen x starry_night from ../shared/images):

- ``stylize512``: ``python -m nst stylize --size 512`` with the default preset: launch to exit;
- ``cold``: launch to the first step of the same run (the snapshot the engine writes at step 1,
  read from ``--snapshots``' folder by its file time);
- ``print2048``: ``--size 2048 --quality print``: launch to exit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import SHARED_IMAGES
from benchmarks.step_time import cpu_name

ROOT = Path(__file__).resolve().parents[1]
CASES: dict[str, tuple[str, ...]] = {
    "stylize512": ("--size", "512"),
    "cold": ("--size", "512"),
    "print2048": ("--size", "2048", "--quality", "print"),
}


def unpack_revision(rev: str, into: Path) -> Path:
    """The tree of ``rev`` (git archive, read-only for the repository) in ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev], check=True,
                             capture_output=True).stdout
    tree = into / f"rev-{rev.replace('/', '_')}"
    tree.mkdir(parents=True)
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def run_case(tree: Path, case: str, out: Path, content: Path, style: Path) -> dict[str, float]:
    """One run of ``case`` with the code in ``tree``: wall, CPU and (cold) seconds to the first step."""
    out.mkdir(parents=True, exist_ok=True)
    snapshots = out / "snapshots"
    args = [sys.executable, "-m", "nst", "stylize", "--content", str(content), "--style", str(style),
            "-o", str(out / f"{case}.png"), *CASES[case]]
    if case == "cold":
        shutil.rmtree(snapshots, ignore_errors=True)  # the last run's step 1 must not count
        snapshots.mkdir()
        args += ["--snapshots", str(snapshots)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    launched = time.time()
    started = time.perf_counter()
    with open(out / f"{case}.log", "w") as log:
        proc = subprocess.Popen(args, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
        if case == "cold":
            first = snapshots / "step_00001.png"
            while not first.exists() and _running(proc.pid):
                time.sleep(0.02)
            cpu_to_first = _cpu_seconds(proc.pid)
            seconds_to_first = first.stat().st_mtime - launched if first.exists() else float("nan")
            proc.terminate()
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if case != "cold" and os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{case} failed in {tree}: see {out / (case + '.log')}")
    row = {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2)}
    if case == "cold":
        row = {"wall_s": round(seconds_to_first, 2), "cpu_s": round(cpu_to_first, 2)}
    return row


def _running(pid: int) -> bool:
    """True while the child runs; unlike Popen.poll it does not reap it, so wait4 still gets its CPU time."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process, all its threads (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare(old: Path, new: Path, cases: list[str], rounds: int, out: Path, content: Path, style: Path,
            log=print) -> dict[str, Any]:
    results: dict[str, dict[str, list[dict[str, float]]]] = {c: {"old": [], "new": []} for c in cases}
    load_before = os.getloadavg()
    for r in range(rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for case in cases:
            for which in order:
                tree = old if which == "old" else new
                row = run_case(tree, case, out / which, content, style)
                results[case][which].append(row)
                log(f"round {r + 1} {case} {which}: {row}  load {os.getloadavg()[0]:.1f}")
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpu": cpu_name(),
                              "cores": os.cpu_count(), "rounds": rounds,
                              "load_before": [round(v, 2) for v in load_before]}
    for case in cases:
        summary = {}
        for key in ("wall_s", "cpu_s"):
            old_v = statistics.median(r[key] for r in results[case]["old"])
            new_v = statistics.median(r[key] for r in results[case]["new"])
            pairs = [n[key] / o[key] for o, n in zip(results[case]["old"], results[case]["new"]) if o[key]]
            summary[key] = {"old": round(old_v, 2), "new": round(new_v, 2),
                            "ratio_of_medians": round(new_v / old_v, 3) if old_v else None,
                            "ratios": [round(p, 3) for p in pairs]}
        report[case] = {"summary": summary, "runs": results[case]}
    report["load_after"] = [round(v, 2) for v in os.getloadavg()]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-rev", required=True, help="git revision of the old code (e.g. main)")
    parser.add_argument("--new-dir", default=str(ROOT), help="the new code's tree (default: this one)")
    parser.add_argument("--cases", default="stylize512,cold")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--content", default=str(SHARED_IMAGES / "content" / "tubingen.jpg"))
    parser.add_argument("--style", default=str(SHARED_IMAGES / "style" / "starry_night.jpg"))
    parser.add_argument("--out", default="bench-out/versus")
    parser.add_argument("--json", help="write the report here")
    args = parser.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    with tempfile.TemporaryDirectory(prefix="nst-versus-") as tmp:
        old = unpack_revision(args.old_rev, Path(tmp))
        report = compare(old, Path(args.new_dir).resolve(), cases, args.rounds, Path(args.out).resolve(),
                         Path(args.content), Path(args.style))
    report["old_rev"] = args.old_rev
    text = json.dumps(report, indent=2)
    if args.json:
        Path(args.json).write_text(text)
    for case in cases:
        s = report[case]["summary"]
        print(f"{case}: wall {s['wall_s']['old']} -> {s['wall_s']['new']} s (x{s['wall_s']['ratio_of_medians']}), "
              f"cpu {s['cpu_s']['old']} -> {s['cpu_s']['new']} s (x{s['cpu_s']['ratio_of_medians']})")
    print(f"{report['cpu']}, {report['cores']} cores, load {report['load_before']} -> {report['load_after']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
