"""StyleParams as command-line flags, generated from each field's ``FieldSpec``.

One flag per field (``--style-weight``, ``--tv-form``, ...), with the field's help, type and
choices; ``--style-layers`` / ``--content-layers`` take ``layer=weight`` lists, and
``--params FILE`` starts from a saved JSON parameter set (``gallery show --json``,
``stylize --json`` or a plain ``StyleParams.to_dict()``). Flags overlay that base; a flag not
given keeps the base's value. ``params_to_argv`` writes the flags back, so any run's
parameters can be repeated from the command line exactly. ``--quality`` applies a studio quality
preset (the fields it sets come from ``QUALITY_PRESETS``). No TensorFlow here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from nst.edges import input_file_problem
from nst.errors import ParamsError
from nst.params import QUALITY_PRESETS, StyleParams, param_specs, with_quality

# flags with their own, hand-written meaning (a blend needs to know how many --style images)
HAND_WRITTEN = ("style_blend",)


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def add_param_flags(parser: argparse.ArgumentParser, only: Sequence[str] | None = None) -> None:
    """Every StyleParams field as a flag (default: the base's value), plus ``--params``; or only the
    fields named in ``only`` (no ``--params``)."""
    defaults = StyleParams()
    if only is None:
        parser.add_argument("--params", help="start from the parameters in this JSON file; flags override them")
    for name, spec in param_specs().items():
        if name in HAND_WRITTEN or (only is not None and name not in only):
            continue
        default = getattr(defaults, name)
        if spec.kind == "layers":
            shown = ",".join(f"{layer}={weight:g}" for layer, weight in default)
            parser.add_argument(flag_name(name), metavar="LAYER=W,...", help=f"{spec.help} (default {shown})")
            continue
        bounds = _bounds(spec.low, spec.high)
        kwargs: dict[str, Any] = {"help": f"{spec.help} (default {default}{bounds})"}
        if spec.kind == "choice":
            kwargs["choices"] = spec.choices
        else:
            kwargs["type"] = int if spec.kind == "int" else float
        parser.add_argument(flag_name(name), **kwargs)


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"; {low:g}..{high:g}"
    if low is not None:
        return f"; at least {low:g}"
    return ""


def given_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The StyleParams fields this command line sets with flags (layers parsed), in field order."""
    given: dict[str, Any] = {}
    for name, spec in param_specs().items():
        value = None if name in HAND_WRITTEN else getattr(args, name, None)
        if value is not None:
            given[name] = parse_layers(value, flag_name(name)) if spec.kind == "layers" else value
    return given


def params_from_args(args: argparse.Namespace, n_styles: int, base: StyleParams | None = None) -> StyleParams:
    """The base (``--params``, else ``base``, else the defaults) with every flag that was given on top."""
    if getattr(args, "params", None):
        data = load_params_file(args.params).to_dict()
    else:
        data = (base or StyleParams()).to_dict()
    data.update(given_fields(args))
    blend = parse_blend(getattr(args, "style_blend", None), n_styles)
    if blend:
        data["style_blend"] = list(blend)
    elif data.get("style_blend") and len(data["style_blend"]) != n_styles:
        data["style_blend"] = []  # a saved blend for a different number of styles: blend equally
    return StyleParams.from_dict(data)


# ---- --quality: the studio's quality presets ------------------------------------------------
QUALITY_FIELDS = tuple(dict.fromkeys(name for preset in QUALITY_PRESETS.values() for name in preset))


def add_quality_flag(parser: argparse.ArgumentParser) -> None:
    fields = ", ".join(name.replace("_", " ") for name in QUALITY_FIELDS)
    parser.add_argument("--quality", choices=[name.lower() for name in QUALITY_PRESETS],
                        help=f"a studio quality preset (sets {fields})")


def apply_quality(args: argparse.Namespace, params: StyleParams) -> StyleParams:
    """``params`` with the ``--quality`` preset applied; refuses a preset mixed with the flags it sets."""
    if not getattr(args, "quality", None):
        return params
    clashing = [flag_name(name) for name in QUALITY_FIELDS if getattr(args, name, None) is not None]
    if clashing:
        raise ParamsError(f"--quality sets {', '.join(map(flag_name, QUALITY_FIELDS))}; give either --quality or "
                          f"{', '.join(clashing)}, not both.")
    preset = next(name for name in QUALITY_PRESETS if name.lower() == args.quality)
    return with_quality(params, preset)


def params_to_argv(params: StyleParams) -> list[str]:
    """Flags that make ``params_from_args`` return exactly ``params`` (fields at their default are left out)."""
    defaults = StyleParams()
    argv: list[str] = []
    for name, spec in param_specs().items():
        value = getattr(params, name)
        if value == getattr(defaults, name):
            continue
        if name == "style_blend":
            text = ",".join(repr(float(v)) for v in value)
        elif spec.kind == "layers":
            text = ",".join(f"{layer}={weight!r}" for layer, weight in value)
        else:
            text = repr(value) if isinstance(value, float) else str(value)
        argv += [flag_name(name), text]
    return argv


def parse_layers(text: str, flag: str) -> list[list[Any]]:
    """``block1_conv1=1,block2_conv1=0.5`` (a bare name weighs 1) -> [[name, weight], ...]."""
    pairs: list[list[Any]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, weight = part.partition("=")
        try:
            pairs.append([name.strip(), float(weight) if weight.strip() else 1.0])
        except ValueError:
            raise ParamsError(f"{flag} takes layer=weight pairs like block1_conv1=1,block2_conv1=0.5, "
                              f"not {text!r}.") from None
    return pairs


def parse_blend(text: str | None, n_styles: int) -> tuple[float, ...]:
    if not text:
        return ()
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ParamsError(f"--style-blend must be numbers separated by commas, like 0.7,0.3, not {text!r}.") from None
    if len(values) != n_styles:
        raise ParamsError(f"--style-blend has {len(values)} weights for {n_styles} --style images.")
    return values


def load_params_file(path: str) -> StyleParams:
    """A JSON parameter set: a ``StyleParams.to_dict()``, or any object holding one under ``"params"``."""
    problem = input_file_problem(Path(path))  # a FIFO with no writer would block read_text forever
    if problem:
        raise ParamsError(f"--params: {problem}")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ParamsError(f"--params: cannot read {path} ({error.strerror or error}).") from None
    except ValueError:
        raise ParamsError(f"--params: {path} is not a JSON file.") from None
    if isinstance(data, Mapping) and isinstance(data.get("params"), Mapping):
        return StyleParams.from_saved(data["params"])  # a run's record (`nst stylize --json`, the gallery's export)
    if not isinstance(data, Mapping):
        raise ParamsError(f"--params: {path} does not hold a parameter object.")
    return StyleParams.from_dict(data)


__all__ = ["add_param_flags", "params_from_args", "params_to_argv", "parse_layers", "parse_blend",
           "load_params_file", "flag_name", "given_fields", "add_quality_flag", "apply_quality", "QUALITY_FIELDS"]
