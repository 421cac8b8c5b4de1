"""Small networks: the lesson's claims as assertions, training, landscapes, figures and the CLI.

Every claim here would fail if it were false: each test states the claim first. Programs are shared between
tests (the same model, step count and optimizer names), so the file compiles only a handful of them.
"""
from __future__ import annotations

import dataclasses
import itertools
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import optiviz as ov
from optiviz.cli import main as cli_main
from optiviz.errors import InvalidValueError, UnknownNameError

nets = ov.nets
train_mod = sys.modules["optiviz.nets.train"]

SMOOTH = ["tanh", "sigmoid", "softplus", "gelu", "swish", "elu"]


@pytest.fixture(scope="module")
def spiral():
    return nets.dataset("spiral", n=200, noise=0.1, seed=0)


@pytest.fixture(scope="module")
def small():
    return nets.mlp(8, 2, "tanh")


@pytest.fixture(scope="module")
def runs(small, spiral):
    """Three optimizers side by side (sgd draws minibatches): the program most tests reuse."""
    return nets.train(small, spiral, ["sgd:lr=0.5", "momentum:lr=0.1", "adam:lr=0.02"], 150, every=5)


@pytest.fixture(scope="module")
def noisy():
    """A small noisy set a wide network can memorize: 40 training points, 20% of labels flipped."""
    return nets.dataset("gaussians", n=80, label_noise=0.2, seed=0)


@pytest.fixture(scope="module")
def wide():
    return nets.mlp(64, 2, "relu")


# ------------------------------------------------------------------------------------------ architecture claims

def test_a_linear_network_is_one_matrix_product():
    model = nets.mlp([5, 4, 3], activation="linear", in_dim=3, out_dim=2)
    params = model.init(seed=1)
    W = np.eye(3)
    b = np.zeros(3)
    for layer in params:
        w, c = np.asarray(layer.w, float), np.asarray(layer.b, float)
        b = b @ w + c
        W = W @ w
    x = np.asarray(jax.random.normal(jax.random.PRNGKey(2), (50, 3)))
    np.testing.assert_allclose(np.asarray(model.apply(params, x)), x @ W + b, rtol=1e-5, atol=1e-5)
    # ... and a tanh network of the same shape is not one (the check above could fail)
    tanh = nets.mlp([5, 4, 3], activation="tanh", in_dim=3, out_dim=2)
    out = np.asarray(tanh.apply(params, x))
    fit = np.linalg.lstsq(np.c_[x, np.ones(len(x))], out, rcond=None)[0]
    assert np.abs(np.c_[x, np.ones(len(x))] @ fit - out).max() > 1e-2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_gradients_vanish_with_depth_while_relu_gradients_do_not(seed):
    sig = nets.layer_grad_norms("sigmoid", depth=8, width=32, seed=seed)
    relu = nets.layer_grad_norms("relu", depth=8, width=32, seed=seed)
    assert sig.shape == relu.shape == (9,)  # one norm per weight layer, input layer first
    assert sig[-1] / sig[0] >= 100  # falls by >= 100x from the last layer to the first
    assert relu.max() / relu.min() <= 10  # stays within 10x across all layers
    assert np.all(np.diff(np.log(sig[:-1])) > 0)  # and falls layer after layer going back


def test_grad_norms_are_ordered_from_input_layer_to_output_layer(small, spiral):
    params = small.init(0)
    x, y = jnp.asarray(spiral.x_train), jnp.asarray(spiral.y_train)
    g = jax.jit(jax.grad(lambda p: nets.data_loss("binary", small.apply(p, x), y)[0]))(params)
    expect = [float(jnp.sqrt(jnp.sum(layer.w**2) + jnp.sum(layer.b**2))) for layer in g]
    np.testing.assert_allclose(nets.grad_norms_at(small, params, spiral), expect, rtol=1e-5)
    assert [layer.w.shape for layer in params] == [(2, 8), (8, 8), (8, 1)]


@settings(deadline=None)
@given(x=st.lists(st.floats(-1.5, 1.5, width=32), min_size=2, max_size=2),
       angle=st.floats(0, 6.283), scale=st.floats(1e-4, 1e-2))
def test_inside_one_activation_region_a_relu_network_is_affine(x, angle, scale):
    model = nets.mlp(16, 2, "relu", out_dim=2)
    params = model.init(3)
    x = jnp.asarray(x)
    d = scale * jnp.asarray([np.cos(angle), np.sin(angle)], jnp.float32)

    def pattern(v):
        _, hs = model.apply(params, v[None], hidden=True)
        return [np.asarray(h[0] > 0) for h in hs]

    assume(all(np.array_equal(a, b) for a, b in zip(pattern(x), pattern(x + d))))
    J0, J1 = nets.jacobian(model, params, x), nets.jacobian(model, params, x + d)
    np.testing.assert_allclose(J0, J1, rtol=1e-5, atol=1e-6)
    f = lambda v: np.asarray(model.apply(params, v[None])[0])  # noqa: E731
    np.testing.assert_allclose(f(x + d) - f(x), J0 @ np.asarray(d), rtol=1e-3, atol=1e-6)


def test_different_activation_regions_have_different_jacobians():
    model = nets.mlp(16, 2, "relu", out_dim=2)
    params = model.init(3)
    pts = jnp.asarray(np.random.default_rng(0).uniform(-1.5, 1.5, (40, 2)), jnp.float32)
    jacs = {nets.jacobian(model, params, p).round(5).tobytes() for p in pts}
    assert len(jacs) > 10


def test_a_maxout_network_with_pieces_w_and_zero_is_a_relu_network(spiral):
    relu = nets.mlp(6, 2, "relu")
    maxout = nets.mlp(6, 2, "maxout:pieces=2")
    pr = relu.init(4)
    pm = list(maxout.init(4))
    assert [layer.w.shape for layer in pm] == [(2, 12), (6, 12), (6, 1)]
    for layer in range(2):  # unit i's pieces: (the ReLU unit's weights, 0)
        w = jnp.zeros_like(pm[layer].w).at[:, 0::2].set(pr[layer].w)
        b = jnp.zeros_like(pm[layer].b).at[0::2].set(pr[layer].b)
        pm[layer] = nets.Dense(w, b)
    pm[2] = pr[2]
    x = jnp.asarray(spiral.x_train)
    np.testing.assert_allclose(np.asarray(jax.jit(maxout.apply)(tuple(pm), x)), np.asarray(jax.jit(relu.apply)(pr, x)),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("activation", SMOOTH)
def test_network_gradients_match_finite_differences(activation, spiral):
    model = nets.mlp([5, 4], activation=activation)
    with jax.enable_x64(True):
        unravel = jax.flatten_util.ravel_pytree(model.init(0))[1]
        loss = jax.jit(lambda v, x, y: nets.data_loss("binary", model.apply(unravel(v), x), y)[0])
        grad = jax.jit(jax.grad(loss))

    @settings(deadline=None, max_examples=6)
    @given(seed=st.integers(0, 2**16), coord=st.integers(0, 43))
    def check(seed, coord):
        with jax.enable_x64(True):
            flat = jax.flatten_util.ravel_pytree(model.init(seed))[0]
            y = jnp.asarray(spiral.y_train[:30], jnp.float64)
            xx = jnp.asarray(spiral.x_train[:30], jnp.float64)
            g = grad(flat, xx, y)
            v = jax.random.normal(jax.random.PRNGKey(seed + 1), flat.shape, jnp.float64)
            h = 1e-5
            fd = (loss(flat + h * v, xx, y) - loss(flat - h * v, xx, y)) / (2 * h)
            assert float(g @ v) == pytest.approx(float(fd), rel=1e-6, abs=1e-9)  # a random direction
            e = jnp.zeros_like(flat).at[coord].set(1.0)  # and one coordinate
            fd_e = (loss(flat + h * e, xx, y) - loss(flat - h * e, xx, y)) / (2 * h)
            assert float(g[coord]) == pytest.approx(float(fd_e), rel=1e-5, abs=1e-9)

    assert model.n_params == 44
    check()


# -------------------------------------------------------------------------------------------------- dropout

@settings(deadline=None)
@given(p=st.floats(0.05, 0.9))
def test_for_a_linear_network_weight_scaling_is_the_exact_average_over_all_dropout_masks(p):
    model = nets.mlp([3, 2], activation="linear")
    params = model.init(5)
    x = jnp.asarray([[0.3, -1.2], [1.0, 0.5]])
    units = [3, 2]
    total = 0.0
    for bits in itertools.product([0.0, 1.0], repeat=sum(units)):
        masks = [jnp.asarray(bits[:3]), jnp.asarray(bits[3:])]
        weight = np.prod([(1 - p) if b else p for b in bits])
        total = total + weight * np.asarray(model.apply(params, x, dropout=p, masks=masks), np.float64)
    # evaluation uses the weights as trained (inverted dropout scaled at training time): the same thing
    np.testing.assert_allclose(total, np.asarray(model.apply(params, x)), rtol=1e-4, atol=1e-5)


def test_for_a_tanh_network_the_mask_average_differs_from_weight_scaling():
    model = nets.mlp([3, 2], activation="tanh")
    params = model.init(5)
    x = jnp.asarray([[0.3, -1.2], [1.0, 0.5]]) * 3
    p, total = 0.5, 0.0
    for bits in itertools.product([0.0, 1.0], repeat=5):
        masks = [jnp.asarray(bits[:3]), jnp.asarray(bits[3:])]
        total = total + 0.5**5 * np.asarray(model.apply(params, x, dropout=p, masks=masks), np.float64)
    assert np.abs(total - np.asarray(model.apply(params, x))).max() > 1e-3


def test_dropout_is_random_at_training_time_and_off_at_evaluation(small, spiral):
    params = small.init(0)
    x = jnp.asarray(spiral.x_train)
    a = small.apply(params, x)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(small.apply(params, x)))
    k1, k2 = jax.random.PRNGKey(1), jax.random.PRNGKey(2)
    d1 = small.apply(params, x, dropout=0.5, key=k1)
    assert not np.allclose(np.asarray(d1), np.asarray(a))
    assert not np.allclose(np.asarray(d1), np.asarray(small.apply(params, x, dropout=0.5, key=k2)))
    np.testing.assert_array_equal(np.asarray(d1), np.asarray(small.apply(params, x, dropout=0.5, key=k1)))


# ----------------------------------------------------------------------------------------------- regularization

def test_l1_gives_more_near_zero_weights_than_l2_at_matched_strength(spiral):
    model = nets.mlp(16, 2, "tanh")
    hs = nets.train(model, spiral, "gd:lr=0.1", 400, l1=[3e-3, 0.0], l2=[0.0, 3e-3], labels=["l1", "l2"],
                    every=100)
    f1, f2 = (nets.near_zero_fraction(hs[k].params, tol=1e-2) for k in ("l1", "l2"))
    w0 = nets.near_zero_fraction(model.init(0), tol=1e-2)
    assert f1 > 2 * f2 and f1 > f2 + 0.1, (f1, f2)
    assert f1 > 2 * w0  # L1 made them; they were not there at initialization
    # the two runs share their structure: stacked and vmapped instead of fused side by side, they agree
    vmapped = nets.train(model, spiral, "gd:lr=0.1", 400, l1=[3e-3, 0.0], l2=[0.0, 3e-3], labels=["l1", "l2"],
                         every=100, strategy="vmap")
    for k in hs:
        np.testing.assert_allclose(vmapped[k].path, hs[k].path, rtol=1e-4, atol=1e-5)


def test_dropout_and_l2_shrink_the_train_test_gap_on_a_noisy_small_dataset(wide, noisy):
    hs = nets.train(wide, noisy, "adam:lr=0.01", 1000, l2=[0.0, 3e-3, 0.0], dropout=[0.0, 0.0, 0.5],
                    labels=["plain", "l2", "dropout"], every=50, strategy="vmap")  # vmap: a smaller program
    plain, l2, drop = hs["plain"], hs["l2"], hs["dropout"]
    assert plain.train_acc[-1] >= 0.95 and plain.gap > 0.5  # memorized the noise
    assert l2.gap < 0.5 * plain.gap, (l2.gap, plain.gap)
    assert drop.gap < 0.8 * plain.gap, (drop.gap, plain.gap)
    assert "test set only is bad" in plain.diagnosis()


def test_early_stopping_stops_and_restores_the_best_weights(wide, noisy):
    h = nets.train(wide, noisy, "adam:lr=0.01", 400, early_stopping=30)
    assert h.stopped_at is not None and h.best_step is not None
    assert h.stopped_at - h.best_step == 30
    best = float(np.min(h.test_loss[: h.stopped_at + 1]))
    assert h.test_loss[h.best_step] == pytest.approx(best)
    assert h.final_test_loss == pytest.approx(best, rel=1e-6)  # the weights it ends with are the best ones
    after = h.path[h.stopped_at + 1:]
    assert np.all(after == after[0])  # frozen after stopping


# ----------------------------------------------------------------------------------------------------- training

def test_history_records_every_kth_step_and_the_weights(runs, small, spiral):
    assert isinstance(runs, nets.Histories) and list(runs) == ["sgd", "momentum", "adam"]
    h = runs["adam"]
    np.testing.assert_array_equal(h.steps, np.arange(0, 151, 5))
    for a in (h.train_loss, h.test_loss, h.train_acc, h.test_acc):
        assert a.shape == (31,) and np.all(np.isfinite(a))
    assert h.grad_norms.shape == (31, 3) and h.path.shape == (31, small.n_params)
    w0 = h.weights_at(0)
    for a, b in zip(w0, small.init(0)):
        np.testing.assert_array_equal(a.w, np.asarray(b.w))
    for a, b in zip(h.weights_at(150), h.params):
        np.testing.assert_array_equal(a.w, b.w)
    # the recorded train loss is the loss of the recorded weights
    x, y = jnp.asarray(spiral.x_train), jnp.asarray(spiral.y_train)
    loss = float(nets.data_loss("binary", small.apply(h.weights_at(75), x), y)[0])
    assert loss == pytest.approx(float(h.train_loss[15]), rel=1e-5)
    assert h.train_loss[-1] < 0.8 * h.train_loss[0]
    assert runs["sgd"].caption.startswith("sgd lr=0.5") and "batch=32" in runs["sgd"].caption
    with pytest.raises(InvalidValueError, match="not recorded"):
        h.weights_at(7)
    assert "adam" in runs.summary()


def test_a_new_learning_rate_or_penalty_does_not_recompile(runs, small, spiral):
    before = train_mod.trace_count
    again = nets.train(small, spiral, ["sgd:lr=0.3", "momentum:lr=0.05", "adam:lr=0.01"], 150, every=5, seed=1)
    assert train_mod.trace_count == before
    assert not np.allclose(again["adam"].train_loss, runs["adam"].train_loss)


def test_tuning_trains_every_lr_in_one_program_and_keeps_the_winner(small, spiral):
    # a fair race: gd (no lr given) trains at each lr of the grid side by side and keeps the lowest final
    # training loss; a diverging lr is never the winner; adam keeps the lr it was given
    grid = [0.03, 0.3, 1e38]
    before = train_mod.trace_count
    hs = nets.train(small, spiral, ["gd", "adam:lr=0.02"], 60, every=10, tune=grid)
    assert train_mod.trace_count == before + 1  # tuning and training: one program
    gd, adam = hs.values()
    assert (gd.how, adam.how) == ("tuned", None) and adam.label == "adam"
    alone = {lr: nets.train(small, spiral, f"gd:lr={lr}", 60, every=10) for lr in grid}
    assert alone[1e38].diverged_at is not None
    best = min(grid[:2], key=lambda lr: alone[lr].train_loss[-1])
    assert gd.spec.hparams["lr"] == best and gd.caption.startswith(f"gd lr={best:g}")
    # the run shown is the winning member itself (full-batch GD has no randomness: equal to training it alone)
    np.testing.assert_allclose(gd.path, alone[best].path, rtol=1e-4, atol=1e-6)
    with pytest.raises(InvalidValueError, match="tune"):
        nets.train(small, spiral, "gd", 5, tune=[0.1, -1.0])


def test_training_is_deterministic(runs, small, spiral):
    again = nets.train(small, spiral, ["sgd:lr=0.5", "momentum:lr=0.1", "adam:lr=0.02"], 150, every=5)
    for k in runs:
        np.testing.assert_array_equal(again[k].path, runs[k].path)
        np.testing.assert_array_equal(again[k].test_loss, runs[k].test_loss)
    other = nets.train(small, spiral, ["sgd:lr=0.5", "momentum:lr=0.1", "adam:lr=0.02"], 150, every=5, seed=7)
    assert not np.allclose(other["sgd"].path[0], runs["sgd"].path[0])  # a new seed: new weights, new batches


def test_an_optax_transformation_trains_like_the_registry_optimizer(small, spiral):
    optax = pytest.importorskip("optax")
    hs = nets.train(small, spiral, {"ours": ov.optimizer("adam", lr=0.02), "optax": optax.adam(0.02)}, 60,
                    every=10)
    np.testing.assert_allclose(hs["ours"].path, hs["optax"].path, rtol=1e-4, atol=1e-5)


def test_divergence_is_recorded_not_raised(small, spiral):
    before = train_mod.trace_count
    hs = nets.train(small, spiral, ["sgd:lr=0.5", "momentum:lr=1e38", "adam:lr=0.02"], 150, every=5)
    assert train_mod.trace_count == before  # the same program as the fixture's: only numbers changed
    h = hs["momentum"]
    assert h.diverged_at is not None and 0 < h.diverged_at <= 150
    assert np.all(np.isfinite(h.path))  # frozen at the last finite weights
    assert np.all(h.path[-1] == h.path[np.searchsorted(h.steps, h.diverged_at)])
    assert h.diagnosis().startswith("diverged at step")
    assert hs["adam"].diverged_at is None
    # the results table (text and a notebook's HTML) has the divergence row, with plain numbers
    row = next(line for line in hs.summary().splitlines() if line.startswith("momentum "))
    assert f"diverged at step {h.diverged_at}" in row and f"{h.final_train_loss:.4g}" in row
    assert f"<td style=\"text-align:left\">diverged at step {h.diverged_at}</td>" in hs._repr_html_()
    assert "array" not in repr(hs) + repr(h) + hs.summary()


def test_diagnosis_names_the_bad_side(runs):
    h = runs["adam"]
    under = dataclasses.replace(h, train_acc=np.array([0.5, 0.6]), test_acc=np.array([0.5, 0.6]), diverged_at=None)
    over = dataclasses.replace(h, train_acc=np.array([0.5, 1.0]), test_acc=np.array([0.5, 0.8]), diverged_at=None)
    good = dataclasses.replace(h, train_acc=np.array([0.5, 0.97]), test_acc=np.array([0.5, 0.95]), diverged_at=None)
    assert nets.diagnose(under).startswith("training set is bad") and "change the model" in nets.diagnose(under)
    assert nets.diagnose(over).startswith("test set only is bad") and "regularize" in nets.diagnose(over)
    assert nets.diagnose(good).startswith("both good")


@pytest.mark.parametrize("kwargs,match", [
    (dict(optimizer=["gd", "adam"], l2=[0.0, 0.1, 0.2]), "has 2 entries but other lists have 3"),
    (dict(dropout=1.0), r"dropout must be in \[0, 1\)"),
    (dict(l1=-1), "l1 must be >= 0"),
    (dict(batch_size=10_000), "larger than the 100 training points"),
    (dict(batch_size=0), "batch_size must be a whole number >= 1"),
    (dict(steps=0), "steps must be a whole number >= 1"),
    (dict(optimizer="adamm"), "did you mean 'adam'"),
    (dict(optimizer=42), "cannot use 42 as an optimizer"),
    (dict(early_stopping=0), "early_stopping must be a whole number >= 1"),
    (dict(model=nets.mlp(4, 1, "relu", in_dim=3)), "does not fit dataset spiral"),
    (dict(model="relu"), "model must be an MLP"),
    (dict(data="spirall"), "did you mean 'spiral'"),
    (dict(strategy="fast"), "strategy must be"),
])
def test_bad_training_requests_say_what_to_do(kwargs, match, small, spiral):
    args = dict(model=small, data=spiral, optimizer="adam", steps=10)
    args.update(kwargs)
    with pytest.raises((InvalidValueError, UnknownNameError), match=match):
        nets.train(args.pop("model"), args.pop("data"), args.pop("optimizer"), args.pop("steps"), **args)


# ----------------------------------------------------------------------------------------------------- datasets

@pytest.mark.parametrize("name", ["spiral", "xor", "circles", "moons", "gaussians", "sine"])
def test_datasets_are_seeded_and_split(name):
    a, b, c = nets.dataset(name, seed=3), nets.dataset(name, seed=3), nets.dataset(name, seed=4)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)
    n = 40 if name == "sine" else 400
    assert len(a.x_train) + len(a.x_test) == n and len(a.x_test) == n // 2
    assert a.x_train.dtype == np.float32 and a.x_train.shape[1] == (1 if name == "sine" else 2)
    if a.task == "binary":
        assert set(np.unique(a.y_train)) == {0.0, 1.0}


def test_label_noise_flips_that_fraction_of_labels():
    d = nets.dataset("xor", n=4000, noise=0.0, label_noise=0.2, seed=0)
    x = np.concatenate([d.x_train, d.x_test])
    y = np.concatenate([d.y_train, d.y_test])
    clean = (x[:, 0] * x[:, 1] > 0).astype(float)
    assert np.mean(clean != y) == pytest.approx(0.2, abs=0.02)


@pytest.mark.parametrize("call,match", [
    (lambda: nets.dataset("spiral", label_noise=0.7), r"label_noise must be in \[0, 0.5\]"),
    (lambda: nets.dataset("spiral", colour=1), "spiral has no parameter 'colour'"),
    (lambda: nets.dataset("spiral", n=2), "n must be a whole number >= 4"),
    (lambda: nets.dataset("spiral:noise=x"), "not a number"),
    (lambda: nets.dataset("spiral", test_fraction=1.0), r"test_fraction must be in \(0, 1\)"),
    (lambda: nets.dataset("moons:noise=1e39"), r"^dataset moons: with noise=1e\+39 its points reach .*, beyond "
                                               r"float32's range \(3.40282e\+38\), which datasets are stored in$"),
])
def test_bad_dataset_requests_say_what_to_do(call, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before the cast to float32 would overflow
        with pytest.raises(InvalidValueError, match=match):
            call()


def test_dataset_spec_strings():
    d = nets.dataset("circles:noise=0.1,n=100,seed=2")
    assert len(d.x_train) == 50 and d.params["noise"] == 0.1 and d.params["seed"] == 2
    assert nets.datasets.names() == ["circles", "gaussians", "moons", "sine", "spiral", "xor"]


def test_models_validate_their_shape():
    with pytest.raises(InvalidValueError, match="2 activations given for 3 hidden layers"):
        nets.mlp([4, 4, 4], activation=["relu", "tanh"])
    with pytest.raises(InvalidValueError, match="unknown initialization"):
        nets.mlp(4, 1, init="xavier")
    m = nets.mlp(4, 2, "relu")
    assert m.init_schemes == ("he", "he", "glorot") and m.describe() == "2-4-4-1 relu"
    assert nets.mlp(4, 2, "selu").init_schemes[0] == "lecun"
    assert nets.mlp(4, 2, "tanh", init="he").init_schemes == ("he",) * 3
    # He initialization: weight variance 2 / fan_in
    big = nets.mlp(512, 1, "relu", in_dim=512)
    assert float(jnp.var(big.init(0)[0].w)) == pytest.approx(2 / 512, rel=0.05)


# ---------------------------------------------------------------------------------------------------- landscape

@pytest.fixture(scope="module")
def pca(runs):
    return nets.landscape(runs, plane="pca")


def test_pca_landscape_grid_is_the_loss_on_the_plane(pca, runs, small, spiral):
    assert pca.loss.shape == (51, 51) and pca.x.shape == (51,)
    d1, d2 = pca.directions
    np.testing.assert_allclose(pca.directions @ pca.directions.T, np.eye(2), atol=1e-6)  # orthonormal
    x, y = jnp.asarray(spiral.x_train), jnp.asarray(spiral.y_train)
    unravel = runs["sgd"].unravel
    for i, j in [(0, 0), (25, 10), (50, 37)]:
        theta = pca.center + pca.x[i] * d1 + pca.y[j] * d2
        direct = float(nets.data_loss("binary", small.apply(unravel(jnp.asarray(theta, jnp.float32)), x), y)[0])
        assert pca.loss[j, i] == pytest.approx(direct, rel=1e-4)


def test_pca_plane_reports_its_variance_and_projects_every_path(pca, runs):
    e = pca.explained
    assert e.shape == (2,) and 0 < e[1] <= e[0] < 1 and e.sum() <= 1
    # the shares are those of the SVD of the centred path matrix
    M = np.concatenate([runs[k].path - pca.center for k in runs]).astype(np.float64)
    s = np.linalg.svd(M - M.mean(0), compute_uv=False)
    np.testing.assert_allclose(e, s[:2] ** 2 / np.sum(s**2), rtol=1e-4)
    assert set(pca.paths) == set(runs) and all(p.shape == (31, 2) for p in pca.paths.values())
    # centred on the shared initial weights, not on any run's result: every path starts at the origin
    assert pca.center_label == "start" and "centre: the shared initial weights" in pca.describe()
    np.testing.assert_allclose(pca.center, runs["sgd"].path[0])
    for k, p in pca.paths.items():
        np.testing.assert_allclose(p[0], [0.0, 0.0], atol=1e-6)
        assert 0 <= pca.off_plane[k] <= 1
    assert np.mean([p[-1] for p in pca.paths.values()], axis=0).min() >= 0  # oriented: the paths run up-right
    assert f"{e.sum():.1%}" in pca.describe()
    # the lowest grid point is marked as the minimum, not the origin (which is the start)
    (mx, my), = pca.surface().minima
    assert pca.loss[np.searchsorted(pca.y, my), np.searchsorted(pca.x, mx)] == pca.loss.min()


def test_landscape_can_still_centre_on_one_run(runs):
    land = nets.landscape(runs, plane="pca", n=5, center="adam")
    np.testing.assert_allclose(land.paths["adam"][-1], [0.0, 0.0], atol=1e-6)
    assert "centre: final weights of adam" in land.describe()
    with pytest.raises(InvalidValueError, match="no run labelled"):
        nets.landscape(runs, n=5, center="nope")


def test_random_plane_is_filter_normalized_and_shows_paths_as_almost_nothing(runs):
    land = nets.landscape(runs, plane="random", n=11, seed=1)
    center = runs["sgd"].unravel(jnp.asarray(land.center, jnp.float32))
    for d in land.directions:
        layers = runs["sgd"].unravel(jnp.asarray(d, jnp.float32))
        for dl, cl in zip(layers, center):
            np.testing.assert_allclose(np.linalg.norm(dl.w, axis=0), np.linalg.norm(cl.w, axis=0), rtol=1e-4)
            assert np.all(np.asarray(dl.b) == 0)
    assert land.explained is None and land.loss.shape == (11, 11)
    assert land.domain == ((-1.0, 1.0), (-1.0, 1.0))
    assert land.surface().axis_labels == ("d1", "d2")
    # in a high-dimensional space, two random directions miss the optimization path almost entirely
    assert min(v for k, v in land.off_plane.items() if k != land.center_label) > 0.9


def test_landscape_is_a_surface_with_trajectories_for_the_2d_renderer(pca, runs):
    s = pca.surface()
    assert isinstance(s, ov.Surface)
    X, Y, Z = s.grid(51)
    np.testing.assert_array_equal(Z, pca.loss)  # the grid computed once, carried by the surface
    np.testing.assert_allclose(np.asarray(s(X, Y)), pca.loss, rtol=1e-5)  # and it is f on that grid
    assert s.grid(7)[2].shape == (7, 7)  # another resolution, asked for, is evaluated
    assert s.value(jnp.asarray([0.0, 0.0])) == pytest.approx(pca.loss[np.abs(pca.y).argmin(), np.abs(pca.x).argmin()],
                                                             rel=0.2)
    tr = pca.trajectories()
    assert isinstance(tr, ov.Trajectories) and list(tr) == list(runs)
    np.testing.assert_array_equal(tr["adam"].loss, runs["adam"].train_loss)
    np.testing.assert_array_equal(tr["adam"].path, pca.paths["adam"])
    assert tr["adam"].caption == runs["adam"].caption


def test_landscape_rejects_runs_it_cannot_draw(runs, small, spiral):
    h = dataclasses.replace(runs["adam"], path=None)
    with pytest.raises(InvalidValueError, match="kept no weight path"):
        nets.landscape(h, spiral)
    with pytest.raises(InvalidValueError, match="give the data"):
        nets.landscape(runs["adam"])
    with pytest.raises(InvalidValueError, match="did you mean 'pca'"):
        nets.landscape(runs, plane="pcaa")
    with pytest.raises(InvalidValueError, match="no run labelled"):
        nets.landscape(runs, center="nope")
    with pytest.raises(InvalidValueError, match="result of ov.nets.train"):
        nets.landscape({"a": 1})


def test_decision_frames_follow_the_recorded_weights(runs, small, spiral):
    h = runs["adam"]
    X, Y, P = nets.decision_frames(small, h.path[[0, -1]], data=spiral, n=30)
    assert P.shape == (2, 30, 30) and np.all((P >= 0) & (P <= 1))
    _, _, last = nets.decision_grid(small, h.params, data=spiral, n=30)
    np.testing.assert_allclose(P[1], last, rtol=1e-5, atol=1e-6)
    pts = np.c_[X.ravel(), Y.ravel()]
    direct = jax.nn.sigmoid(small.apply(h.params, jnp.asarray(pts, jnp.float32))[:, 0]).reshape(30, 30)
    np.testing.assert_allclose(P[1], np.asarray(direct), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------------------------ figures

def test_activation_figure_draws_each_function_and_the_derivative_jax_uses():
    from optiviz.render import nets as netviz

    fig = netviz.plot_activations(["relu", "leaky_relu:alpha=0.1", "maxout:pieces=3"], n=401)
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == ["relu", "leaky_relu alpha=0.1", "maxout pieces=3"]
    z, f = axes[1].lines[2].get_data()  # after the two zero lines: f, then f'
    _, df = axes[1].lines[3].get_data()
    np.testing.assert_allclose(f, np.where(z > 0, z, 0.1 * z), rtol=1e-6, atol=1e-6)
    assert df[np.argmin(np.abs(z))] == pytest.approx(0.1)  # the left-hand convention at the kink, as drawn
    with pytest.raises(UnknownNameError):
        netviz.plot_activations(["rellu"])


def test_gradient_norm_figure_states_the_fall_per_activation():
    from optiviz.render import nets as netviz

    norms = {"sigmoid": np.array([1e-4, 1e-2, 1.0]), "relu": np.array([0.5, 0.4, 0.3])}
    fig = netviz.plot_grad_norms(norms)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["sigmoid: last / first = 1e+04x", "relu: last / first = 0.6x"]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), norms["sigmoid"])


def test_learning_curves_and_weight_histograms_draw_the_histories(runs):
    import matplotlib.pyplot as plt

    from optiviz.render import nets as netviz

    fig = netviz.plot_learning_curves(runs)
    loss_ax = fig.axes[0]
    assert len(loss_ax.lines) == 2 * len(runs)
    np.testing.assert_array_equal(loss_ax.lines[1].get_ydata(), runs["sgd"].test_loss)
    assert runs["adam"].diagnosis() in fig.texts[0].get_text()
    # drawn into a figure of the user's (plain or a SubFigure), the notes still sit below the step labels
    root = plt.figure(figsize=(9, 6), dpi=40)
    for target in (plt.figure(figsize=(9, 3), dpi=40), root.subfigures(2, 1)[0]):
        assert netviz.plot_learning_curves(runs, fig=target) is target
        target.get_figure(root=True).canvas.draw()
        (note,) = [t for t in target.texts if runs["adam"].diagnosis() in t.get_text()]
        for ax in target.axes:
            assert note.get_window_extent().y1 <= ax.xaxis.label.get_window_extent().y0 + 1
    fig = netviz.plot_weight_histograms(runs, tol=0.05)
    titles = [ax.get_title() for ax in fig.axes]  # one panel per run, side by side
    frac = nets.near_zero_fraction(runs["adam"].params, tol=0.05)
    assert f"adam: {frac:.0%} of weights |w| < 0.05" in titles


def test_decision_boundary_animation_moves_the_field_and_the_curves(runs, spiral, tmp_path):
    from optiviz.render import nets as netviz
    from optiviz.render.nets import Field

    anim = netviz.animate_decision_boundary(runs, frames=4, n=20, dpi=40)
    scene = anim.scene
    assert scene.n_frames == 4 and list(scene.frame_steps) == [0, 50, 100, 150]
    fields = [p for p in scene.primitives if isinstance(p, Field)]
    assert len(fields) == 3
    _, _, P = nets.decision_frames(runs["adam"].model, runs["adam"].path[[0, 10, 20, 30]], data=spiral, n=20)
    np.testing.assert_allclose(fields[2].frames, P, rtol=1e-6)
    scene.update(1)
    np.testing.assert_array_equal(np.asarray(fields[2].image.get_array()), P[1])
    out = ov.save(anim, tmp_path / "net.gif")
    assert out.read_bytes()[:6] == b"GIF89a"
    with pytest.raises(InvalidValueError, match="2D two-class"):
        netviz.animate_decision_boundary(runs, data=nets.dataset("sine"))


def test_decision_boundary_loss_legend_covers_no_curve(small, spiral):
    """The loss panel's legend is drawn once beneath the growing curves: it sits where no curve of the whole run
    passes (checked after the layout, with every curve complete). SGD at a tiny rate stays flat along the top,
    through the upper corners, while Adam falls (the fixture's program, other learning rates)."""
    from optiviz.render import nets as netviz

    runs = nets.train(small, spiral, ["sgd:lr=0.001", "momentum:lr=0.1", "adam:lr=0.05"], 150, every=5)
    anim = netviz.animate_decision_boundary(runs, frames=4, n=20, dpi=60)
    anim.fig.canvas.draw()  # the layout (a first draw also starts the animation at frame 0)
    anim.scene.update(anim.n_frames - 1)
    ax = next(a for a in anim.fig.axes if a.get_legend() is not None)
    box = ax.get_legend().get_window_extent()
    curves = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1]
    assert len(curves) == 2 * len(runs)
    for ln in curves:
        path = ln.get_transform().transform_path(ln.get_path())
        assert not box.count_contains(path.vertices) and not path.intersects_bbox(box, filled=False), ln.get_label()


def _page_data(path):
    import json
    import re

    return json.loads(re.search(r"var D=(\{.*?\}), root=", path.read_text(), re.S).group(1))


def _png(b64, mode=None):
    import base64
    import io

    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(b64))) as im:
        return np.asarray(im.convert(mode) if mode else im)


def test_decision_boundary_page_carries_every_frames_field_compactly(runs, spiral, tmp_path):
    from optiviz.render import nets as netviz
    from optiviz.render.nets import Field

    anim = netviz.animate_decision_boundary(runs, frames=31, n=80, dpi=100)  # every recorded step, full size
    path = ov.save(anim, tmp_path / "net.html", quiet=True)
    text = path.read_text()
    for control in ('data-a="play"', 'data-a="prev"', 'data-a="next"', 'type="range"'):
        assert control in text
    page = _page_data(path)
    assert page["frames"] == anim.n_frames == 31
    # 3 moving 80 x 80 fields over 31 frames, the points, curves and labels: a small page (measured 0.20 MB; the
    # GIF of the same animation is 1.9 MB, and a PNG per frame would be about 31 x 0.15 MB)
    assert path.stat().st_size < 300_000
    fields = [p for p in page["prims"] if p["type"] == "field"]
    prims = [p for p in anim.scene.primitives if isinstance(p, Field)]
    assert len(fields) == len(prims) == len(runs)
    for f, prim in zip(fields, prims):
        L, w, h, cols = f["levels"], f["w"], f["h"], f["cols"]
        levels = np.rint(_png(f["img"]).astype(float) / f["step"]).astype(int)  # what the page reads back
        for k in range(page["frames"]):
            r, c = divmod(k, cols)
            tile = levels[r * h:(r + 1) * h, c * w:(c + 1) * w]
            # the page fills rows top-down: the picture's origin is at the bottom (probabilities in [0, 1])
            np.testing.assert_array_equal(tile, np.rint(prim.frames[k][::-1] * (L - 1)))
        pal = np.asarray(f["pal"]).reshape(-1, 4)
        assert len(pal) == L + 1 and pal[0, 3] == pal[-2, 3] == round(0.8 * 255)  # the field's alpha
        ax = prim.image.axes
        x0, y0, x1, y1 = ax.bbox.extents
        assert f["dst"] == pytest.approx([x0, page["height"] - y1, x1 - x0, y1 - y0], abs=0.6)
    # the data points cover the moving field: one transparent picture per panel, inside that panel
    sprites = [p for p in page["prims"] if p["type"] == "sprite"]
    assert len(sprites) == len(runs)
    for sp, f in zip(sprites, fields):
        rgba = _png(sp["img"], "RGBA")
        assert (rgba[..., 3] == 0).any() and (rgba[..., 3] == 255).sum() > 100  # opaque points, transparent ground
        cx, cy, cw, ch = f["clip"]
        assert cx - 1 <= sp["x"] and sp["x"] + rgba.shape[1] <= cx + cw + 1
        assert cy - 1 <= sp["y"] and sp["y"] + rgba.shape[0] <= cy + ch + 1
    dashed = [p for p in page["prims"] if p["type"] == "trace" and p.get("dash")]
    assert len(dashed) == len(runs)  # the test-loss curves stay dashed in the page
    assert ov.save(anim, tmp_path / "again.html", quiet=True).read_bytes() == path.read_bytes()  # deterministic


def test_landscape_animation_is_the_2d_renderer_on_the_network_plane(pca, tmp_path):
    from optiviz.render import nets as netviz

    calls = []
    real_fn = pca.surface().fn
    counted = dataclasses.replace(pca.surface(), fn=lambda a, b: calls.append(np.shape(a)) or real_fn(a, b))
    scene = ov.animate(pca.trajectories(), counted, frames=3, dpi=40, view="both").scene
    assert calls == []  # the renderer draws the carried grid: the network is not evaluated again
    levels = next(p.ax for p in scene.panels if p.kind == "contour")._optiviz_contourf.levels
    assert levels[0] == pytest.approx(pca.loss.min()) and levels[-1] == pytest.approx(pca.loss.max())
    anim = netviz.animate_landscape(pca, frames=3, dpi=40)
    assert anim.scene.title.startswith("spiral: paths on the PCA plane (")
    assert anim.scene.title.endswith("centred on the shared initial weights")  # the picture says where
    e1, e2 = pca.explained
    ax = next(p.ax for p in anim.scene.panels if p.kind == "contour")
    assert ax.get_ylabel() == f"PC2 ({e2:.1%} var)"  # the axes say what the plane's coordinates are
    assert {p.ax.get_xlabel() for p in anim.scene.panels if p.kind == "contour"} - {""} == {f"PC1 ({e1:.1%} var)"}
    assert [t.label for t in anim.scene.tracks] == list(pca.paths)
    np.testing.assert_array_equal(anim.scene.tracks[0].path[0], pca.paths["sgd"])
    assert ov.save(anim, tmp_path / "land.png").stat().st_size > 1000


# ---------------------------------------------------------------------------------------------------------- CLI

# 4 steps and 4 frames: the boundary and the curves both record every step, so they share one compiled program
NET = ["--dataset", "spiral:n=100", "--depth", "1", "--width", "8", "--steps", "4", "--frames", "4", "--dpi", "30"]
PAIRS = ["--activation", "tanh,relu", "--optimizers", "gd,adam:lr=0.05"]


def cli(capsys, *argv):
    code = cli_main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_network_trains_every_activation_with_every_optimizer(capsys, tmp_path):
    out_file = tmp_path / "net.gif"
    code, out, err = cli(capsys, "network", *NET, *PAIRS, "--out", str(out_file))
    assert (code, err) == (0, "")
    # a fair race: gd (no lr given) runs at its own tuned lr per model and says so; adam keeps the lr given
    for label in ("tanh/gd", "relu/gd"):
        assert f"\n{label}(lr=" in out and out.split(f"\n{label}(lr=")[1].split()[1] == "(tuned)"
    for label in ("tanh/adam", "relu/adam"):
        assert f"\n{label} " in out
    assert out.count("(tuned)") == 2
    assert "diagnosis" in out and out.strip().splitlines()[-1].startswith(f"wrote {out_file}")
    assert out_file.read_bytes()[:6] == b"GIF89a"
    assert [p.name for p in tmp_path.iterdir()] == ["net.gif"]  # written atomically: no temporary left
    again = tmp_path / "again.gif"
    assert cli(capsys, "network", *NET, *PAIRS, "--out", str(again), "-q") == (0, "", "")
    assert again.read_bytes() == out_file.read_bytes()  # the same command gives the same bytes
    page = tmp_path / "net.html"
    assert cli(capsys, "network", *NET, *PAIRS, "--out", str(page), "-q") == (0, "", "")
    html = page.read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "play" in html.lower()


def test_cli_network_still_plots(capsys, tmp_path):
    code, out, _ = cli(capsys, "network", *NET, "--plot", "gradients", "--activation", "sigmoid,relu", "--depth", "6",
                       "--out", str(tmp_path / "g.png"))
    assert code == 0 and "sigmoid: per-layer gradient norms" in out and "last / first" in out
    before = sys.modules["optiviz.nets.train"].trace_count
    code, out, _ = cli(capsys, "network", *NET, *PAIRS, "--plot", "curves", "--l2", "0.01", "--out",
                       str(tmp_path / "c.svg"))
    assert sys.modules["optiviz.nets.train"].trace_count == before  # the boundary test's program, new numbers
    assert code == 0 and (tmp_path / "c.svg").read_bytes().lstrip().startswith(b"<?xml")


def test_cli_landscape_and_plot_activations(capsys, tmp_path):
    code, out, _ = cli(capsys, "landscape", *NET, "--activation", "tanh", "--optimizers", "gd,adam:lr=0.05",
                       "--grid", "9", "--out", str(tmp_path / "l.png"))
    assert code == 0 and "PCA plane of the paths" in out and (tmp_path / "l.png").exists()
    code, out, _ = cli(capsys, "plot-activations", "--activations", "relu,leaky_relu:alpha=0.2", "--dpi", "30",
                       "--out", str(tmp_path / "a.png"))
    assert code == 0 and (tmp_path / "a.png").exists()


@pytest.mark.parametrize("argv,message", [
    (["network", "--dataset", "sine", "--out", "x.gif"], "decision boundaries need a 2D two-class dataset; sine is "
                                                          "1D regression: use --plot curves"),
    (["network", "--activation", "rellu", "--out", "x.gif"], "unknown activation 'rellu'; did you mean 'relu'"),
    (["network", "--optimizers", "adamm", "--out", "x.gif"], "unknown optimizer 'adamm'"),
    (["network", "--dropout", "1", "--out", "x.gif"],
     "argument --dropout: must be a number from 0 up to (not including) 1, got '1'"),
    (["network", "--dataset", "spirall", "--out", "x.gif"], "unknown dataset 'spirall'; did you mean 'spiral'?"),
    (["network", "--out", "x.avi"], "unknown output format '.avi' in --out x.avi"),
    (["network", "--plot", "curves", "--out", "x.gif"], "unknown output format '.gif' in --out x.gif"),
    (["network", "--plot", "boundry"], "argument --plot: unknown choice 'boundry'; did you mean 'boundary'?"),
    (["network", "--depth", "-1"], "argument --depth: must be a whole number >= 0, got '-1'"),
    (["landscape", "--activation", "relu,tanh", "--out", "x.gif"], "a landscape needs one parameter space"),
    (["landscape", "--plane", "pcb"], "argument --plane: unknown choice 'pcb'; did you mean 'pca'?"),
    (["plot-activations", "--activations", "relu,nope", "--out", "x.png"], "unknown activation 'nope'"),
    (["plot-activations", "--range", "3,1"], "argument --range: needs min < max, got '3,1'"),
])
def test_cli_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, *argv)
    assert code == 2 and err.startswith("optiviz: error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert list(tmp_path.iterdir()) == []


def test_diagnose_accepts_several_runs_one_line_each():
    runs = ov.nets.train(ov.nets.mlp(8, 1, "relu"), "xor", ["gd", "adam"], 20)
    lines = ov.nets.diagnose(runs).splitlines()
    assert [line.split(":")[0] for line in lines] == ["gd", "adam"]
    assert lines[1] == "adam: " + ov.nets.diagnose(runs["adam"])


@pytest.mark.chromium
def test_decision_boundary_page_draws_what_the_gif_shows_in_a_browser(runs, tmp_path):
    """The page's own script, run by headless Chromium, paints each panel's field and points as Agg does."""
    import base64
    import io
    import os
    import re
    import shutil
    import signal
    import subprocess

    from PIL import Image

    from optiviz.render import nets as netviz
    from optiviz.render.frames import FrameRenderer

    chrome = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if chrome is None:
        pytest.skip("no chromium on PATH: .ci/run installs Debian's chromium (apt-get install -y chromium)")
    anim = netviz.animate_decision_boundary(runs, frames=4, n=40, dpi=60)
    k = 2
    path = ov.save(anim, tmp_path / "net.html", quiet=True)
    with FrameRenderer(anim.scene, 60) as fr:
        agg = fr.render(k)[..., :3].astype(int)
    probe = """<script>window.addEventListener("load", function(){ setTimeout(function(){
      var r=document.querySelector(".ov-player"); r.querySelector("[data-a=first]").click();
      for(var i=0;i<%d;i++) r.querySelector("[data-a=next]").click();
      var pre=document.createElement("pre"); pre.id="ov-shot"; pre.textContent=r.querySelector("canvas").toDataURL();
      document.body.appendChild(pre); }, 200); });</script>""" % k
    probe_page = tmp_path / "probe.html"
    probe_page.write_text(path.read_text().replace("</body>", probe + "</body>"))
    cmd = [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
           "--disable-background-networking", "--disable-component-update", f"--user-data-dir={tmp_path / 'profile'}",
           "--virtual-time-budget=5000", "--dump-dom", probe_page.as_uri()]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        dom, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("chromium did not finish loading the page in 60 s")
    m = re.search(r'<pre id="ov-shot">data:image/png;base64,([^<]*)</pre>', dom.decode("utf-8", "replace"))
    assert m, "the page's script did not run"
    with Image.open(io.BytesIO(base64.b64decode(m.group(1)))) as im:
        page = np.asarray(im.convert("RGB")).astype(int)
    assert page.shape == agg.shape
    data = _page_data(path)
    for f in (p for p in data["prims"] if p["type"] == "field"):
        x, y, w, h = (int(round(v)) for v in f["dst"])
        top = np.s_[y + 2:y + int(h * 0.75), x + 2:x + w - 2]  # the panel above its (font-dependent) score label
        diff = np.abs(page[top] - agg[top]).max(axis=-1)
        assert diff.mean() < 4 and np.mean(diff > 24) < 0.005, (diff.mean(), np.mean(diff > 24))  # measured: 2.4, 0


def test_cli_network_compares_listed_settings(capsys, tmp_path):
    out_file = tmp_path / "cmp.png"
    code, out, err = cli(capsys, "network", "--dataset", "moons:n=60", "--width", "4", "--steps", "3", "--dpi", "30",
                         "--depth", "1,2", "--dropout", "0,0.5", "--l2", "0,1e-3", "--optimizers", "adam:lr=0.01",
                         "--plot", "curves", "--out", str(out_file))
    assert (code, err) == (0, "")
    rows = out.split("diagnosis\n")[1].splitlines()[:-1]
    assert len(rows) == 8  # 2 depths x 2 dropout rates x 2 penalties, side by side
    for part in ("2-4-1", "2-4-4-1", "dropout=0.5", "l2=0.001"):
        assert any(part in r for r in rows)
    code, out, err = cli(capsys, "network", "--depth", "2,x")
    assert code == 2 and "argument --depth: must be a whole number >= 0, got 'x'" in err
    code, out, err = cli(capsys, "network", "--dropout", "0,0")
    assert code == 2 and "lists each value once" in err
    code, out, err = cli(capsys, "landscape", "--depth", "1,2")
    assert code == 2 and "a landscape needs one parameter space: give one --depth" in err


def test_comparison_plot_draws_each_runs_final_train_and_test(runs, capsys, tmp_path):
    from optiviz.render import nets as netviz

    fig = netviz.plot_comparison(runs, dpi=40)
    ax_acc, ax_loss = fig.axes[:2]
    bars = [p.get_width() for p in ax_acc.patches]
    want = [float(h.train_acc[-1]) for h in runs.values()] + [float(h.test_acc[-1]) for h in runs.values()]
    np.testing.assert_allclose(bars, want, rtol=1e-6)
    assert [t.get_text() for t in ax_acc.get_yticklabels()] == [h.shown for h in runs.values()]
    assert "sgd (minibatch 32)" in [t.get_text() for t in ax_acc.get_yticklabels()]  # SGD states its minibatch
    # lists on the command line draw this comparison by default
    out_file = tmp_path / "cmp.png"
    code, out, err = cli(capsys, "network", "--dataset", "moons:n=60", "--width", "4", "--steps", "3", "--dpi", "30",
                         "--depth", "1,2", "--out", str(out_file))
    assert (code, err) == (0, "") and out_file.read_bytes()[:4] == b"\x89PNG"
    assert out.count("(tuned)") == 2  # two settings compared: each at its own tuned lr


def test_landscape_labels_state_the_minibatch_and_how_the_lr_was_chosen(pca):
    from optiviz.render import style

    tr = pca.trajectories()
    assert tr["sgd"].how == "minibatch 32" and tr["adam"].how is None
    assert style.run_label(tr["sgd"]).endswith("(minibatch 32)")
    pca.histories["adam"].how = "tuned"
    try:
        assert style.run_label(pca.trajectories()["adam"]).endswith("(tuned)")
    finally:
        pca.histories["adam"].how = None
