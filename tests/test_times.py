"""One time zone everywhere: moments are shown in local time with the UTC offset in force then (the
gallery, ``nst gallery list``), and JSON carries ISO 8601 with that offset (``--json``, sidecars)."""

from __future__ import annotations

import json
import sqlite3

import numpy as np

from nst.cli import main
from nst.params import StyleParams
from nst.run_types import LossTerms
from nst.store import Store
from nst.units import format_time
from saved_runs import run_to_save

MOMENT = 1_700_000_000  # 2023-11-14 22:13:20 UTC
SUMMER, WINTER = 1_689_000_000, 1_705_000_000  # 2023-07-10 14:40 UTC, 2024-01-11 19:06:40 UTC


def test_format_time_is_local_with_the_offset_in_force_then(time_zone) -> None:
    time_zone("IST-5:30")
    assert format_time(MOMENT) == "2023-11-15 03:43 UTC+05:30"
    assert format_time(MOMENT, iso=True) == "2023-11-15T03:43:20+05:30"
    time_zone("UTC0")
    assert format_time(MOMENT) == "2023-11-14 22:13 UTC+00:00"
    assert format_time(MOMENT, iso=True) == "2023-11-14T22:13:20+00:00"
    time_zone("EST5EDT,M3.2.0,M11.1.0")  # New York's rules: summer time is another offset
    assert format_time(SUMMER) == "2023-07-10 10:40 UTC-04:00"
    assert format_time(WINTER, iso=True) == "2024-01-11T14:06:40-05:00"


def _saved_run_at(moment: float) -> int:
    image = np.random.default_rng(0).uniform(0, 1, (16, 16, 3)).astype(np.float32)
    result = {"image": image, "status": "finished", "message": "", "steps": 1, "seconds": 1.0,
              "losses": LossTerms(1.0, 0.5, 0.4, 0.1), "history": [], "snapshots": [], "weight_changes": [],
              "trace_seconds": {}, "params": StyleParams(size=64), "weights_id": "tiny", "device": "CPU"}
    with Store() as store:
        run_id = store.save(run_to_save(result, content=image, styles=[image[::-1].copy()], title="dated"))
        with sqlite3.connect(store.db_path) as conn:
            conn.execute("UPDATE runs SET created = ? WHERE id = ?", (moment, run_id))
    return run_id


def test_the_cli_prints_local_time_and_json_iso_with_the_offset(time_zone, capsys) -> None:
    run_id = _saved_run_at(MOMENT)
    time_zone("IST-5:30")
    capsys.readouterr()
    assert main(["gallery", "list"]) == 0
    assert "2023-11-15 03:43 UTC+05:30" in capsys.readouterr().out
    assert main(["gallery", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["created"] == "2023-11-15T03:43:20+05:30"
    assert main(["gallery", "show", str(run_id), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == "2023-11-15T03:43:20+05:30"
