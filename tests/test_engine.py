"""The engine on a tiny random network with VGG19's layer names: behaviour, not numbers."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nst.colors import rgb_to_yiq
from nst.engine import stylize
from nst.objective import objective_for
from nst.run_types import RunControl, RunInputs
from nst.errors import ParamsError
from nst.losses import LossForm
from nst.model import tiny_feature_net_for_tests
from nst.params import StyleParams

FAST = StyleParams(size=64, scales=1, iterations=25, style_weight=10.0, snapshot_every=5, precision="float32")


def run_in_thread(target):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", target()), daemon=True)
    thread.start()
    return thread, result


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_loss_falls(tiny_net, content_image, style_image, optimizer):
    result = stylize(RunInputs(content_image, [style_image]), FAST.replace(optimizer=optimizer, learning_rate=0.05), net=tiny_net)
    assert result.status == "finished"
    totals = [h["total"] for h in result.history]
    assert result.losses.total < 0.5 * totals[0]
    assert result.history[-1]["style"] < 0.5 * result.history[0]["style"]


def test_output_has_the_requested_size_and_range(tiny_net, style_image):
    portrait = np.random.default_rng(3).uniform(size=(90, 50, 3)).astype(np.float32)
    result = stylize(RunInputs(portrait, [style_image]), FAST.replace(size=72, iterations=3), net=tiny_net)
    assert result.image.shape == (72, 40, 3)
    assert result.image.dtype == np.float32
    assert 0.0 <= result.image.min() and result.image.max() <= 1.0


def test_multi_scale_runs_coarse_to_fine(tiny_net, content_image, style_image):
    events = []
    params = StyleParams(size=128, scales=2, iterations=6, iteration_decay=1.0)
    result = stylize(RunInputs(content_image, [style_image]), params, net=tiny_net, on_event=events.append)
    starts = [e.scale_size for e in events if e.kind == "scale_start"]
    assert starts == [(64, 48), (128, 96)]
    assert {h["scale"] for h in result.history} == {0, 1}
    assert result.steps == 12 and result.image.shape == (96, 128, 3)
    assert events[-1].kind == "finished" and events[-1].image.shape == (96, 128, 3)
    etas = [e.eta for e in events if e.kind == "step"]
    assert etas[-1] == pytest.approx(0.0, abs=1e-6) and all(eta > 0 for eta in etas[:-1])


def test_a_scale_without_steps_enlarges_the_last_painted_picture_with_the_photo_detail(tiny_net, style_image):
    # the Print preset's last scale (StyleParams.scale_iterations): no targets, no evaluation, but the
    # output's size, the photo's finer detail carried in as a painted scale's start has it, and the losses
    # of the last painted scale
    y, x = np.mgrid[0:96, 0:128].astype(np.float32)
    photo = np.clip(np.stack([x / 128, y / 96, 0.5 + 0.4 * ((x + y) % 2 == 0)], axis=2), 0, 1).astype(np.float32)
    events = []
    params = StyleParams(size=128, scales=2, iterations=3, iteration_decay=0.3, precision="float32")
    assert params.scale_iterations() == (3, 0)
    result = stylize(RunInputs(photo, [style_image]), params, net=tiny_net, on_event=events.append)
    assert [e.scale_size for e in events if e.kind == "scale_start"] == [(64, 48), (128, 96)]
    assert result.steps == 3 and {h["scale"] for h in result.history} == {0}
    assert result.image.shape == (96, 128, 3) and events[-1].image.shape == (96, 128, 3)
    assert _fine_detail(result.image) > 0.5 * _fine_detail(photo)
    assert result.losses.total == min(h["total"] for h in result.history)


def test_cancel_from_another_thread_returns_the_best_image_so_far(tiny_net, content_image, style_image):
    control = RunControl()
    reached = threading.Event()

    def on_event(event):
        if event.kind == "step" and event.step == 3:
            reached.set()

    params = FAST.replace(iterations=10_000)
    thread, out = run_in_thread(lambda: stylize(RunInputs(content_image, [style_image]), params, net=tiny_net, control=control, on_event=on_event))
    assert reached.wait(60)
    control.cancel()
    thread.join(60)
    result = out["value"]
    assert result.status == "stopped"
    assert 3 <= result.steps < 100
    assert result.losses.total == min(h["total"] for h in result.history)
    assert result.image.shape == (48, 64, 3)


def _style_after(net, content, style, change_at, new_style_weight, steps=30):
    """Run with L-BFGS; at step ``change_at`` (if any), another thread raises the style weight."""
    control = RunControl()
    at_step, changed = threading.Event(), threading.Event()

    def on_event(event):
        if change_at and event.kind == "step" and event.step == change_at:
            at_step.set()
            changed.wait(30)  # hold the worker until the main thread has changed the weights

    params = FAST.replace(iterations=steps, style_weight=1.0)
    thread, out = run_in_thread(lambda: stylize(RunInputs(content, [style]), params, net=net, control=control, on_event=on_event))
    if change_at:
        assert at_step.wait(60)
        control.set_weights(style=new_style_weight)
        changed.set()
    thread.join(60)
    return out["value"]


def test_live_weight_change_takes_effect_at_the_next_step_without_retracing(content_image, style_image):
    net = tiny_feature_net_for_tests(seed=1)
    baseline = _style_after(net, content_image, style_image, change_at=0, new_style_weight=None)
    traces = objective_for(net, LossForm.from_params(FAST)).traces
    changed = _style_after(net, content_image, style_image, change_at=5, new_style_weight=50.0)
    assert objective_for(net, LossForm.from_params(FAST)).traces == traces, "a weight change retraced"
    assert changed.weight_changes == [5]
    assert changed.history[5]["w_style"] == 50.0 and changed.history[4]["w_style"] == 1.0
    # same seed, same start: the unweighted style loss falls further once style counts more
    assert changed.history[-1]["style"] < 0.8 * baseline.history[-1]["style"]
    assert [h["total"] for h in changed.history[:5]] == pytest.approx(
        [h["total"] for h in baseline.history[:5]], rel=1e-5)


def test_weight_change_event_is_reported(tiny_net, content_image, style_image):
    control = RunControl()
    control.set_weights(tv=5.0)
    events = []
    result = stylize(RunInputs(content_image, [style_image]), FAST.replace(iterations=3), net=tiny_net, control=control, on_event=events.append)
    assert "weights_changed" in [e.kind for e in events]
    assert result.history[0]["w_tv"] == 5.0


def test_bad_live_weights_are_refused():
    with pytest.raises(ParamsError):
        RunControl().set_weights(style=float("nan"))
    with pytest.raises(ParamsError):
        RunControl().set_weights(content=-1.0)


def test_snapshots_every_n_steps_with_images(tiny_net, content_image, style_image):
    events = []
    result = stylize(RunInputs(content_image, [style_image]), FAST.replace(iterations=20), net=tiny_net, on_event=events.append)
    steps = [s.step for s in result.snapshots]
    assert {1, 5, 10, 15, 20} <= set(steps)  # step 1: a live image right after the start
    assert all(s.image.dtype == np.uint8 and s.image.shape == (48, 64, 3) for s in result.snapshots)
    assert [e.step for e in events if e.kind == "step" and e.image is not None] == steps
    assert not np.array_equal(result.snapshots[0].image, result.snapshots[-1].image)


def test_same_seed_same_picture_other_seed_other_picture(tiny_net, content_image, style_image):
    params = FAST.replace(init="noise", iterations=8, seed=3)
    a = stylize(RunInputs(content_image, [style_image]), params, net=tiny_net)
    b = stylize(RunInputs(content_image, [style_image]), params, net=tiny_net)
    c = stylize(RunInputs(content_image, [style_image]), params.replace(seed=4), net=tiny_net)
    np.testing.assert_array_equal(a.image, b.image)
    assert np.abs(a.image - c.image).mean() > 0.01


def test_nan_is_detected_and_the_run_stops_with_a_clear_status(tiny_net, content_image, style_image):
    poisoned = content_image.copy()
    poisoned[5, 5, 1] = np.nan
    result = stylize(RunInputs(content_image, [style_image], init_image=poisoned), FAST.replace(init="image"), net=tiny_net)
    assert result.status == "diverged"
    assert "NaN" in result.message
    assert result.steps == 1
    assert np.all(np.isfinite(result.image))


def test_a_second_run_at_a_seen_size_does_not_retrace(content_image, style_image):
    net = tiny_feature_net_for_tests(seed=2)
    first = stylize(RunInputs(content_image, [style_image]), FAST.replace(iterations=3), net=net)
    assert "64x48" in first.trace_seconds
    traces = objective_for(net, LossForm.from_params(FAST)).traces
    second = stylize(RunInputs(content_image[::-1].copy(), [style_image]), FAST.replace(iterations=3, content_weight=2.0), net=net)
    assert objective_for(net, LossForm.from_params(FAST)).traces == traces
    assert second.trace_seconds == {}


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_each_size_is_traced_once_and_never_again(content_image, style_image, optimizer):
    # one trace per size (a shape-free trace made every step slower: docs/speed.md), none on the next run
    net = tiny_feature_net_for_tests(seed=5)
    params = FAST.replace(size=256, scales=3, iterations=4, iteration_decay=1.0, optimizer=optimizer)
    result = stylize(RunInputs(content_image, [style_image]), params, net=net)
    assert {h["scale"] for h in result.history} == {0, 1, 2} and result.status == "finished"
    assert list(result.trace_seconds) == ["64x48", "128x96", "256x192"]
    assert objective_for(net, LossForm.from_params(params)).traces == 3
    again = stylize(RunInputs(content_image, [style_image]), params.replace(seed=1), net=net)
    assert again.trace_seconds == {} and objective_for(net, LossForm.from_params(params)).traces == 3


def test_a_broken_picture_in_one_thread_does_not_freeze_the_next_run_in_another(content_image, style_image):
    # the studio paints each job in a worker thread; a photo without colour channels fails its job with a
    # sentence, and the next job (another thread: the failed one is still alive here, as a worker would be)
    # paints. Before the check in Objective.features the second run waited forever on TensorFlow's lock.
    net = tiny_feature_net_for_tests(seed=7)
    failed, keep_alive = threading.Event(), threading.Event()

    def broken_run():
        try:
            stylize(RunInputs(np.zeros((48, 64), np.float32), [style_image]), FAST.replace(iterations=2), net=net)
        except Exception:  # noqa: BLE001 - how it fails is the job runner's business; that it fails is here
            failed.set()
        keep_alive.wait(120)

    first = threading.Thread(target=broken_run, daemon=True)
    first.start()
    assert failed.wait(120)
    thread, result = run_in_thread(lambda: stylize(RunInputs(content_image, [style_image]),
                                                   FAST.replace(iterations=2), net=net))
    thread.join(120)
    keep_alive.set()
    assert not thread.is_alive() and result["value"].status == "finished"


def test_several_styles_blend(tiny_net, content_image, style_image):
    other = np.full_like(style_image, 0.5)
    only_first = stylize(RunInputs(content_image, [style_image, other]), FAST.replace(style_blend=(1.0, 0.0)), net=tiny_net)
    alone = stylize(RunInputs(content_image, [style_image]), FAST, net=tiny_net)
    np.testing.assert_allclose(only_first.image, alone.image, atol=1e-4)
    mixed = stylize(RunInputs(content_image, [style_image, other]), FAST.replace(style_blend=(0.5, 0.5)), net=tiny_net)
    assert np.abs(mixed.image - alone.image).mean() > 0.005


def test_luminance_preservation_keeps_the_content_colours(tiny_net, content_image, style_image):
    result = stylize(RunInputs(content_image, [style_image]), FAST.replace(preserve_colors="luminance"), net=tiny_net)
    def chroma_error(image):  # mean; a few out-of-gamut pixels are clipped back into RGB
        return np.abs(rgb_to_yiq(image)[..., 1:] - rgb_to_yiq(content_image)[..., 1:]).mean()

    plain = stylize(RunInputs(content_image, [style_image]), FAST, net=tiny_net)
    assert chroma_error(result.image) < 0.01
    assert chroma_error(plain.image) > 3 * chroma_error(result.image)


def test_histogram_matching_moves_style_colours_to_the_content(content_image, style_image):
    from nst.colors import match_color_statistics

    matched = match_color_statistics(style_image, content_image)
    np.testing.assert_allclose(matched.reshape(-1, 3).mean(0), content_image.reshape(-1, 3).mean(0), atol=0.02)


def test_init_image_continues_from_a_previous_result(tiny_net, content_image, style_image):
    first = stylize(RunInputs(content_image, [style_image]), FAST, net=tiny_net)
    more = stylize(RunInputs(content_image, [style_image], init_image=first.image), FAST.replace(init="image", iterations=5), net=tiny_net)
    assert more.history[0]["total"] == pytest.approx(first.losses.total, rel=0.05)
    with pytest.raises(ParamsError, match="init image"):
        stylize(RunInputs(content_image, [style_image]), FAST.replace(init="image"), net=tiny_net)


def test_truncation_never_computes_deeper_layers():
    net = tiny_feature_net_for_tests(seed=5)
    for conv in net._variables(16)[13:]:  # block5_conv2 .. block5_conv4 poisoned
        conv.kernel.assign(np.full(conv.kernel.shape, np.nan, np.float32))
    image = np.random.default_rng(0).uniform(size=(1, 32, 32, 3)).astype(np.float32)
    features = net.extractor(("block1_conv1", "block5_conv1"))(image)
    assert set(features) == {"block1_conv1", "block5_conv1"}
    assert np.all(np.isfinite(features["block5_conv1"].numpy()))
    assert not np.all(np.isfinite(net.extractor(("block5_conv2",))(image)["block5_conv2"].numpy()))


def test_no_style_image_is_refused(tiny_net, content_image):
    with pytest.raises(ParamsError, match="style image"):
        stylize(RunInputs(content_image, []), FAST, net=tiny_net)


def test_time_limit_still_ends_at_full_size(tiny_net, content_image, style_image):
    # a budget far too small for any step: every scale makes one step and the run still
    # finishes at the requested size (no timing is asserted, only the shape of the run)
    params = StyleParams(size=128, scales=2, iterations=50, time_limit=1e-9)
    result = stylize(RunInputs(content_image, [style_image]), params, net=tiny_net)
    assert result.status == "finished"
    assert [h["scale"] for h in result.history] == [0, 1]
    assert result.image.shape == (96, 128, 3)


def _fine_detail(image: np.ndarray) -> float:
    """Energy of what a 2x2 box blur removes: the 1-pixel detail."""
    gray = image.astype(np.float32).mean(axis=2)
    blurred = 0.25 * (gray[:-1, :-1] + gray[1:, :-1] + gray[:-1, 1:] + gray[1:, 1:])
    return float(np.mean((gray[:-1, :-1] - blurred) ** 2))


def test_a_finer_scale_starts_with_the_photo_detail_the_coarser_scale_could_not_hold(tiny_net, style_image):
    # docs/speed.md: the upscaled painting alone starts blurred, and its steps went to sharpening it
    y, x = np.mgrid[0:96, 0:128].astype(np.float32)
    photo = np.clip(np.stack([x / 128, y / 96, 0.5 + 0.4 * ((x + y) % 2 == 0)], axis=2), 0, 1).astype(np.float32)
    params = StyleParams(size=128, scales=2, iterations=2, iteration_decay=1.0, precision="float32")
    result = stylize(RunInputs(photo, [style_image]), params, net=tiny_net)
    first_fine = next(s for s in result.snapshots if s.scale_index == 1)  # the fine scale's first evaluation
    assert first_fine.step == 3
    assert _fine_detail(first_fine.image / 255.0) > 0.5 * _fine_detail(photo)
    # started from an image (the same photo here): the fine scale starts from the upscaled painting alone
    plain = stylize(RunInputs(photo, [style_image], init_image=photo), params.replace(init="image"), net=tiny_net)
    first_plain = next(s for s in plain.snapshots if s.scale_index == 1)
    assert _fine_detail(first_plain.image / 255.0) < 0.25 * _fine_detail(photo)
