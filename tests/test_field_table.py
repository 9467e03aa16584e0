"""The FieldSpec table is the one list of parameters: a field added to it shows up in every place that lists
fields (CLI flags of stylize / sweep / compare, sweepable fields, the studio's widgets and sweep choices, the
gallery's key parameters and grid axes), with nothing else edited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter: StyleParams gains a field before anything else imports it (every derived list is
# computed when its module is imported), then each place that lists fields is asked about it.
PROBE = r'''
import dataclasses, json, sys
from dataclasses import dataclass
import nst.params as P

@dataclass(frozen=True)
class WithGrain(P.StyleParams):
    grain: float = P._num(0.0, "film grain laid over the result", low=0.0, high=1.0, label="Film grain",
                          sweep=(0.1, 0.25), key=6, axis=True)

P.StyleParams = WithGrain
P._SPECS = {f.name: f.metadata["spec"] for f in dataclasses.fields(WithGrain) if "spec" in f.metadata}

from streamlit.testing.v1 import AppTest
from nst import batch, cli
from nst.flags import params_from_args
from studio import controls
from studio.gallery import model as gallery

commands = cli.build_parser()._subparsers._group_actions[0].choices
def options(name):
    return sorted(o for a in commands[name]._actions for o in a.option_strings)
sweep = cli.build_parser().parse_args(["sweep", "--content", "c.png", "--style", "s.png", "--grid", "grain=0.1,0.5",
                                       "--grain", "0.3"])
seeded = controls.widget_values(WithGrain())
at = AppTest.from_file(sys.argv[1], default_timeout=120).run()
print(json.dumps({
    "flags": {name: "--grain" in options(name) for name in ("stylize", "sweep", "compare", "fast")},
    "grid_help": next(a.help for a in commands["sweep"]._actions if "--grid" in a.option_strings),
    "sweep_cells": [i.params.grain for i in batch.sweep_items(WithGrain(), {"grain": [0.1, 0.5]}, preview=False)],
    "from_flags": params_from_args(sweep, 1).grain,
    "sweepable": "grain" in batch.SWEEPABLE, "sweep_default": controls.SWEEP_DEFAULTS.get("grain"),
    "expert": "grain" in controls.expert_fields(), "label": controls.label("grain"),
    "widget_round_trip": controls.params_from_widgets(WithGrain(), dict(seeded, x_grain=0.5), seeded).grain,
    "key_param": "grain" in gallery.KEY_PARAMS, "grid_axis": "grain" in gallery.GRID_CANDIDATES,
    "studio_sweep_choices": "grain" in at.multiselect(key="sweep_params").options,
    "studio_expert_widget": [w.label for w in at.number_input if w.key == "x_grain"],
    "exception": [str(e.value) for e in at.exception],
}))
'''


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("field-table")
    env = dict(os.environ, NST_STUDIO_TEST_TINY_NET="1", NST_DATA_DIR=str(home / "gallery"))
    proc = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "app.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_new_sweepable_field_gets_its_flags_and_can_be_swept_from_the_command_line(probe):
    assert probe["flags"] == {"stylize": True, "sweep": True, "compare": True, "fast": False}  # fast: not marked
    assert "grain" in probe["grid_help"] and probe["sweepable"]
    assert probe["sweep_cells"] == [0.1, 0.5] and probe["from_flags"] == 0.3


def test_a_new_field_shows_up_in_the_studio_and_the_gallery(probe):
    assert probe["exception"] == []
    assert probe["studio_sweep_choices"] and probe["sweep_default"] == "0.1, 0.25"
    assert probe["expert"] and probe["label"] == "Film grain" and probe["studio_expert_widget"] == ["Film grain"]
    assert probe["widget_round_trip"] == 0.5
    assert probe["key_param"] and probe["grid_axis"]
