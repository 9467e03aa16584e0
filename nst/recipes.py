"""Well-known style transfer recipes, each a preset of ``StyleParams`` (the loss form is data).

Used by "Compare methods" (the gallery and ``python -m nst compare``) to answer the seed's
question: which of the many methods online gives the best picture? Each recipe is the
published settings re-expressed in this engine; where a recipe's loss cannot be expressed
exactly, its docstring says what was approximated.

A fair comparison (the default) runs every recipe at the same small size with the same time
budget; ``native=True`` gives each its own iteration count instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from nst.errors import ParamsError
from nst.params import StyleParams

FIVE_CONV1 = tuple((f"block{n}_conv1", 1.0) for n in range(1, 6))
_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


@dataclass(frozen=True)
class Recipe:
    key: str
    name: str
    source: str
    summary: str
    native_iterations: int
    build: Callable[[int], StyleParams]

    def params(self, size: int, *, time_limit: float = 0.0, native: bool = False) -> StyleParams:
        """The recipe at ``size`` px. With a time limit, the budget (not a step count) ends it."""
        params = self.build(size)
        if native:
            return params.replace(iterations=self.native_iterations)
        # with a time budget the step count must not be what stops a recipe first
        return params.replace(time_limit=time_limit, iterations=100_000 if time_limit else params.iterations)


def _studio(size: int) -> StyleParams:
    return StyleParams(size=size)


def _tensorflow_tutorial(size: int) -> StyleParams:
    """TensorFlow's "Neural style transfer" tutorial: Adam on the image, 1000 steps, L1 TV."""
    return StyleParams(
        size=size, scales=1, iterations=1000, optimizer="adam", learning_rate=0.02, adam_beta1=0.99,
        adam_epsilon=0.1, init="content", content_layers=(("block5_conv2", 1.0),), style_layers=FIVE_CONV1,
        content_weight=1e4, style_weight=1e-2, tv_weight=30.0, style_loss_form="mean",
        content_loss_form="mean", tv_form="l1_sum", pooling="max", style_balance=0.0,
    )


def _gatys_2015(size: int) -> StyleParams:
    """Gatys et al. 2015: L-BFGS from white noise, average pooling, alpha/beta = 1e-3, no TV."""
    return StyleParams(
        size=size, scales=1, iterations=1000, optimizer="lbfgs", init="noise",
        content_layers=(("block4_conv2", 1.0),), style_layers=FIVE_CONV1, content_weight=1.0,
        style_weight=1e3, tv_weight=0.0, style_loss_form="gatys", content_loss_form="gatys", pooling="avg",
        style_balance=0.0,
    )


def _jcjohnson(size: int) -> StyleParams:
    """jcjohnson/neural-style defaults: L-BFGS from noise, content 5, style 100, TV 1e-3.

    Its Gram is divided by C*H*W and compared by mean squared error, i.e. our position-averaged
    Gram's mean squared error divided by C^2: expressed as layer weights 1/C^2 (our layer weights
    are normalised to sum 1, so the style weight carries their sum). Its TV is half the sum of
    squared neighbour differences on 0..255 pixels; we use the squared-mean form scaled for a
    4:3 image at ``size``, so it is exact only for that aspect.
    """
    layer_weights = tuple((name, 1.0 / _CHANNELS[int(name[5])] ** 2) for name, _ in FIVE_CONV1)
    style_weight = 100.0 * sum(w for _, w in layer_weights)
    pixels = 3 * size * (size * 3 // 4)
    return StyleParams(
        size=size, scales=1, iterations=1000, optimizer="lbfgs", init="noise",
        content_layers=(("block4_conv2", 1.0),), style_layers=layer_weights, content_weight=5.0,
        style_weight=style_weight, tv_weight=1e-3 * 0.5 * 255.0**2 * pixels,
        style_loss_form="mean", content_loss_form="mean", tv_form="squared_mean", pooling="max",
        style_balance=0.0,
    )


STUDIO_RECIPE = "studio"  # this studio's own losses (the user's parameters); every other recipe carries its own
RECIPES: dict[str, Recipe] = {r.key: r for r in (
    Recipe(STUDIO_RECIPE, "This studio's default", "nst StyleParams()",
           "Multi-scale L-BFGS from the photo in the painting's colours, relative losses, style x28 balanced, "
           "no block5.", StyleParams().iterations, _studio),
    Recipe("tf-tutorial", "TensorFlow tutorial", "tensorflow.org/tutorials/generative/style_transfer",
           "Adam (lr 0.02), block5_conv2 content, L1 total variation, 1000 steps.", 1000, _tensorflow_tutorial),
    Recipe("gatys-2015", "Gatys et al. 2015", "arXiv 1508.06576",
           "L-BFGS from noise, average pooling, alpha/beta = 1e-3.", 1000, _gatys_2015),
    Recipe("jcjohnson", "jcjohnson/neural-style", "github.com/jcjohnson/neural-style",
           "L-BFGS from noise, content 5, style 100, TV 1e-3.", 1000, _jcjohnson),
)}

COMPARE_SIZE = 256
# the studio's comparison stops here: every method paints at this size, so 2048 would multiply the wait
COMPARE_MAX_SIZE = 1024
COMPARE_SECONDS = 60.0


def recipe(key: str) -> Recipe:
    if key not in RECIPES:
        raise ParamsError(f"Unknown method {key!r}; choose from {', '.join(RECIPES)}.")
    return RECIPES[key]
