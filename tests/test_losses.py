"""Loss terms on known tensors, and the normalisation that keeps weights meaningful at any size."""

import numpy as np
import pytest
import tensorflow as tf

from nst.losses import content_layer_loss, gram_matrix, style_layer_loss, total_variation


def test_gram_of_known_features_is_averaged_over_positions():
    # two positions, two channels: f1 = (1, 2), f2 = (3, 4)
    features = tf.constant([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = np.array([[1 + 9, 2 + 12], [2 + 12, 4 + 16]]) / 2.0
    np.testing.assert_allclose(gram_matrix(features).numpy(), expected)


def test_gram_does_not_grow_with_the_image():
    rng = np.random.default_rng(0)
    patch = rng.normal(size=(1, 8, 8, 5)).astype(np.float32)
    tiled = np.tile(patch, (1, 4, 4, 1))  # 16x the positions, same statistics
    np.testing.assert_allclose(gram_matrix(tf.constant(tiled)).numpy(),
                               gram_matrix(tf.constant(patch)).numpy(), rtol=1e-5)


def test_relative_losses_do_not_depend_on_feature_magnitude():
    rng = np.random.default_rng(1)
    g, a = (tf.constant(rng.normal(size=(6, 6)).astype(np.float32)) for _ in range(2))
    # a bright painting with 10x larger activations has 100x larger Grams: same relative loss
    assert float(style_layer_loss(g * 100, a * 100, "relative")) == pytest.approx(
        float(style_layer_loss(g, a, "relative")), rel=1e-5)
    f, p = (tf.constant(rng.normal(size=(1, 4, 4, 3)).astype(np.float32)) for _ in range(2))
    assert float(content_layer_loss(f * 7, p * 7, "relative")) == pytest.approx(
        float(content_layer_loss(f, p, "relative")), rel=1e-5)


def test_relative_style_loss_is_zero_at_the_target_and_one_at_zero():
    a = tf.constant([[2.0, 1.0], [1.0, 3.0]])
    assert float(style_layer_loss(a, a, "relative")) == 0.0
    assert float(style_layer_loss(tf.zeros_like(a), a, "relative")) == pytest.approx(1.0)


def test_other_loss_forms_match_their_definitions():
    g = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    a = tf.constant([[0.0, 0.0], [0.0, 3.0]])
    assert float(style_layer_loss(g, a, "mean")) == pytest.approx((1 + 4) / 4)
    assert float(style_layer_loss(g, a, "gatys")) == pytest.approx((1 + 4) / 4 / 4)
    f = tf.ones((1, 2, 2, 1))
    assert float(content_layer_loss(f, tf.zeros_like(f), "gatys")) == pytest.approx(0.5 * 4)
    assert float(content_layer_loss(f, tf.zeros_like(f), "mean")) == pytest.approx(1.0)


def test_total_variation_of_known_images():
    flat = tf.fill((1, 8, 8, 3), 0.4)
    assert float(total_variation(flat, "squared_mean")) == 0.0
    # vertical stripes of width 1 alternating 0/1: every horizontal neighbour differs by 1
    stripes = np.zeros((1, 4, 6, 3), np.float32)
    stripes[:, :, 1::2, :] = 1.0
    t = tf.constant(stripes)
    assert float(total_variation(t, "squared_mean")) == pytest.approx(1.0)
    assert float(total_variation(t, "l1_sum")) == pytest.approx(4 * 5 * 3)
    np.testing.assert_allclose(float(total_variation(t, "l1_sum")), float(tf.image.total_variation(t)[0]))


def test_squared_mean_tv_does_not_grow_with_the_image():
    rng = np.random.default_rng(2)
    small = rng.uniform(size=(1, 16, 16, 3)).astype(np.float32)
    big = np.tile(small, (1, 4, 4, 1))
    assert float(total_variation(tf.constant(big), "squared_mean")) == pytest.approx(
        float(total_variation(tf.constant(small), "squared_mean")), rel=0.1)


def test_gram_gradient_matches_plain_autodiff():
    # the Gram's hand-written symmetric gradient must be exactly what autodiff would give
    import tensorflow as tf

    from nst.losses import gram_matrix

    features = tf.constant(np.random.default_rng(3).normal(size=(1, 5, 7, 4)).astype(np.float32))
    weights = tf.constant(np.random.default_rng(4).normal(size=(4, 4)).astype(np.float32))

    def plain(f):
        flat = tf.reshape(f, [-1, 4])
        return tf.matmul(flat, flat, transpose_a=True) / 35.0

    grads = []
    for gram in (gram_matrix, plain):
        with tf.GradientTape() as tape:
            tape.watch(features)
            loss = tf.reduce_sum(weights * gram(features) ** 2)
        grads.append(tape.gradient(loss, features).numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gram_matrix(features).numpy(), plain(features).numpy(), rtol=1e-6)


def test_bfloat16_activations_give_a_float32_gram_and_a_bfloat16_gradient_close_to_float32s():
    # a bfloat16 run's losses sum in float32 (the Gram's 200k-product sums need it); the gradient goes back
    # in bfloat16, as the convolutions it flows into would round it anyway
    rng = np.random.default_rng(5)
    exact = tf.constant(np.abs(rng.normal(size=(1, 64, 48, 16))).astype(np.float32))
    low = tf.cast(exact, tf.bfloat16)
    target = gram_matrix(exact) * 1.3
    results = []
    for features in (tf.cast(low, tf.float32), low):
        with tf.GradientTape() as tape:
            tape.watch(features)
            gram = gram_matrix(features)
            loss = style_layer_loss(gram, target, "relative")
        results.append((gram, loss, tape.gradient(loss, features)))
    (gram32, loss32, grad32), (gram16, loss16, grad16) = results
    assert gram16.dtype == tf.float32 and grad16.dtype == tf.bfloat16
    np.testing.assert_allclose(gram16.numpy(), gram32.numpy(), rtol=1e-6)  # same bfloat16 inputs, float32 sums
    assert float(loss16) == pytest.approx(float(loss32), rel=1e-6)
    g32, g16 = grad32.numpy(), tf.cast(grad16, tf.float32).numpy()
    assert np.abs(g16 - g32).max() <= 0.01 * np.abs(g32).max()  # bfloat16 rounding of the gradient only
