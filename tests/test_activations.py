"""The activation registry: formulas, derivatives and the stated conventions at kinks, maxout, errors."""
from __future__ import annotations

import functools
import math
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import optiviz as ov
from optiviz.activations import SELU_ALPHA, SELU_LAMBDA, Activation
from optiviz.errors import InvalidValueError, UnknownNameError

ALL = ["elu", "gelu", "hard_tanh", "leaky_relu", "linear", "maxout", "relu", "selu", "sigmoid", "softplus", "swish",
       "tanh"]
ELEMENTWISE = [n for n in ALL if n != "maxout"]
xs = st.floats(-6.0, 6.0, allow_nan=False, width=32)


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


# The derivative each docstring states, written out independently of the implementation.
STATED = {
    "linear": lambda z: np.ones_like(z),
    "sigmoid": lambda z: sig(z) * (1 - sig(z)),
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(float),
    "leaky_relu": lambda z: np.where(z > 0, 1.0, 0.01),
    "elu": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))),
    "selu": lambda z: np.where(z > 0, SELU_LAMBDA, SELU_LAMBDA * SELU_ALPHA * np.exp(np.minimum(z, 0))),
    "softplus": lambda z: sig(z),
    "gelu": lambda z: 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2))) + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi),
    "swish": lambda z: sig(z) + z * sig(z) * (1 - sig(z)),
    "hard_tanh": lambda z: ((z > -1) & (z <= 1)).astype(float),
}
VALUES = {
    "linear": lambda z: z,
    "sigmoid": sig,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "selu": lambda z: SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0))),
    "softplus": lambda z: np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0),
    "gelu": lambda z: 0.5 * z * (1 + np.vectorize(math.erf)(z / math.sqrt(2))),
    "swish": lambda z: z * sig(z),
    "hard_tanh": lambda z: np.clip(z, -1, 1),
}


def test_registry_lists_every_activation_with_documented_formulas():
    assert ov.activations.names() == ALL
    for name in ALL:
        info = ov.activations.get(name)
        assert "f(z) =" in info.doc or "outputs max" in info.doc, name
        assert "f'(" in info.doc or "derivative" in info.doc or "gradient" in info.doc, name


def test_listing_activations_does_not_import_jax():
    code = "import sys, optiviz; n = optiviz.activations.names(); assert 'relu' in n; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


GRID = np.linspace(-4.0, 4.0, 161).astype(np.float32)
GRID = GRID[(np.abs(GRID) > 1e-3) & (np.abs(np.abs(GRID) - 1) > 1e-3)]  # kinks are tested on their own below


@functools.lru_cache(maxsize=None)
def _on_the_grid() -> dict:
    """Every elementwise activation's values and ``derivative`` on ``GRID``, from one jitted program (op-by-op
    dispatch of each activation's small ops compiled dozens of tiny programs)."""
    acts = {name: ov.activation(name) for name in ELEMENTWISE}
    out = jax.jit(lambda z: {name: (act(z), act.derivative(z)) for name, act in acts.items()})(jnp.asarray(GRID))
    return {name: (np.asarray(v), np.asarray(d)) for name, (v, d) in out.items()}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_values_and_derivatives_match_the_docstring_formulas(name):
    values, derivatives = _on_the_grid()[name]
    z = GRID.astype(float)
    np.testing.assert_allclose(values, VALUES[name](z), rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(derivatives, STATED[name](z), rtol=2e-4, atol=2e-6)


@jax.jit
def _values_and_derivatives(zp, zm, z):
    """Every elementwise activation's f(z + h), f(z - h) and stated f'(z): one program for all examples."""
    acts = [ov.activation(name) for name in ELEMENTWISE]
    return [(act(zp), act(zm), act.derivative(z)) for act in acts]


@settings(deadline=None)
@given(z=xs)
def test_derivative_is_the_slope_away_from_kinks(z):
    assume(min(abs(z), abs(abs(z) - 1)) > 0.02)
    h = 1e-3
    out = _values_and_derivatives(jnp.float32(z + h), jnp.float32(z - h), jnp.float32(z))
    for name, (fp, fm, stated) in zip(ELEMENTWISE, out):
        fd = (float(fp) - float(fm)) / (2 * h)
        # float32 rounding of f (|f| <= 6.4 here) costs at most ~4e-4 in the quotient, h**2 |f'''| / 6 less
        assert float(stated) == pytest.approx(fd, rel=2e-3, abs=2e-3), name


# (activation, params, kink, stated derivative at the kink)
KINKS = [
    ("relu", {}, 0.0, 0.0),
    ("leaky_relu", {"alpha": 0.1}, 0.0, 0.1),
    ("elu", {"alpha": 0.5}, 0.0, 0.5),
    ("selu", {}, 0.0, SELU_LAMBDA * SELU_ALPHA),
    ("hard_tanh", {}, -1.0, 0.0),
    ("hard_tanh", {}, 1.0, 1.0),
]


@pytest.mark.parametrize("name,params,kink,stated", KINKS)
def test_derivative_at_a_kink_is_the_left_hand_one(name, params, kink, stated):
    act = ov.activation(name, **params)
    at = float(act.derivative(jnp.float32(kink)))
    assert at == pytest.approx(stated, rel=1e-6)
    h = 1e-3
    left = (float(act(jnp.float32(kink))) - float(act(jnp.float32(kink - h)))) / h
    right = (float(act(jnp.float32(kink + h))) - float(act(jnp.float32(kink)))) / h
    assert at == pytest.approx(left, rel=5e-3, abs=1e-3)
    assert abs(left - right) > 0.1  # a real kink: the convention decides something


def test_relu_derivative_at_zero_is_zero_as_in_jax():
    relu = ov.activation("relu")
    assert float(jax.grad(relu)(0.0)) == 0.0 == float(jax.grad(jax.nn.relu)(0.0))
    assert float(relu.derivative(0.0)) == 0.0


def test_leaky_relu_with_alpha_zero_is_relu_including_the_kink():
    z = jnp.asarray([-2.0, -0.5, 0.0, 0.5, 2.0])
    a, b = ov.activation("leaky_relu", alpha=0.0), ov.activation("relu")
    np.testing.assert_array_equal(np.asarray(a(z)), np.asarray(b(z)))
    np.testing.assert_array_equal(np.asarray(a.derivative(z)), np.asarray(b.derivative(z)))


def test_sigmoid_derivative_peaks_at_a_quarter():
    z = jnp.linspace(-8, 8, 1601)
    d = np.asarray(ov.activation("sigmoid").derivative(z))
    assert d.max() == pytest.approx(0.25, rel=1e-6)
    assert float(z[np.argmax(d)]) == pytest.approx(0.0, abs=1e-6)


def test_selu_keeps_zero_mean_and_unit_variance():
    z = jax.random.normal(jax.random.PRNGKey(0), (400_000,))
    y = np.asarray(ov.activation("selu")(z), dtype=np.float64)
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1.0) < 0.01


def test_saturated_branches_have_finite_gradients():
    # exp in the unused branch of ELU/SELU must not overflow into a NaN gradient
    names = ("elu", "selu", "softplus", "swish", "sigmoid")
    acts = [ov.activation(name) for name in names]
    grads = jax.jit(lambda z: [act.derivative(z) for act in acts])(jnp.asarray([-200.0, 200.0]))  # one program
    for name, g in zip(names, grads):
        assert np.all(np.isfinite(np.asarray(g))), name


# --------------------------------------------------------------------------------------------------- maxout

@settings(deadline=None)
@given(w=st.lists(st.floats(-3, 3, width=32), min_size=3, max_size=3),
       x=st.lists(st.floats(-3, 3, width=32), min_size=3, max_size=3))
def test_maxout_with_pieces_w_and_zero_is_relu_of_w_dot_x(w, x):
    (a, ga), (b, gb) = _maxout_and_relu(jnp.asarray(w), jnp.asarray(x))
    assert float(a) == float(b)
    np.testing.assert_array_equal(np.asarray(ga), np.asarray(gb))


@jax.jit
def _maxout_and_relu(w, x):
    """Value and gradient in x of maxout over the pieces (w . x, 0) and of relu(w . x): one program, w and x
    passed as numbers (not one trace per hypothesis example)."""
    maxout, relu = ov.activation("maxout", pieces=2), ov.activation("relu")

    def via_maxout(v):
        return maxout(jnp.stack([w @ v, 0.0 * (w @ v)]))[0]  # one unit, two pieces

    def via_relu(v):
        return relu(w @ v)

    return jax.value_and_grad(via_maxout)(x), jax.value_and_grad(via_relu)(x)


def test_maxout_reduces_groups_of_k_pieces_and_routes_ties_to_the_last_piece():
    act = ov.activation("maxout:pieces=3")
    z = jnp.asarray([[1.0, 5.0, 2.0, -1.0, -3.0, -2.0]])
    np.testing.assert_array_equal(np.asarray(act(z)), [[5.0, -1.0]])
    g = jax.grad(lambda v: act(v).sum())(jnp.asarray([2.0, 2.0, 0.0]))
    np.testing.assert_array_equal(np.asarray(g), [0.0, 1.0, 0.0])
    with pytest.raises(InvalidValueError, match="multiple of 3"):
        act(jnp.ones(4))
    assert act.pieces == 3 and not act.elementwise
    with pytest.raises(InvalidValueError, match="not elementwise"):
        act.derivative(jnp.ones(3))


def test_maxout_curve_is_a_convex_piecewise_linear_function():
    act = ov.activation("maxout", pieces=4)
    x = np.linspace(-2, 2, 401).astype(np.float32)
    # jitted: op by op, the curve and its vmapped gradient dispatched dozens of small programs
    y, d = (np.asarray(a) for a in jax.jit(lambda x: (act.curve(x), act.curve_derivative(x)))(x))
    assert y.shape == (401,) and np.all(np.diff(d) >= -1e-6)  # slopes never decrease: convex
    assert len(np.unique(np.round(d, 5))) == 4  # k pieces


# ------------------------------------------------------------------------------------------ building, errors

def test_activations_compare_by_name_and_parameters():
    assert ov.activation("relu") == ov.activation("relu")
    assert hash(ov.activation("leaky_relu", alpha=0.1)) == hash(ov.activation("leaky_relu:alpha=0.1"))
    assert ov.activation("leaky_relu", alpha=0.1) != ov.activation("leaky_relu", alpha=0.2)
    assert ov.activation("leaky_relu:alpha=0.1").caption() == "leaky_relu alpha=0.1"
    assert ov.activation("gelu:approximate=true")(jnp.float32(1.0)) == pytest.approx(
        float(jax.nn.gelu(1.0, approximate=True)), rel=1e-6)
    act = ov.activation("swish", beta=2.0)
    assert ov.activation(act) is act


def test_a_same_named_activation_with_another_function_gets_its_own_program():
    """The helper programs are keyed by the activation: one with relu's name and parameters but another function
    (a bare constructor; a plugin re-registered after ``Registry.refresh``) gets its own values, while equal
    requests to the registry stay equal (one function per factory and parameters) and share their programs."""
    double = Activation("relu", lambda z: 2.0 * z)
    triple = Activation("relu", lambda z: 3.0 * z)
    assert double != triple and ov.activation("relu") == ov.activation("relu:")
    assert float(double.curve(1.0)) == 2.0 and float(triple.curve(1.0)) == 3.0


@pytest.mark.parametrize("call,error,match", [
    (lambda: ov.activation("rellu"), UnknownNameError, "did you mean 'relu'"),
    (lambda: ov.activation("relu", alpha=0.1), InvalidValueError, "relu has no parameter 'alpha'"),
    (lambda: ov.activation("leaky_relu", alpha=-1), InvalidValueError, "alpha must be >= 0"),
    (lambda: ov.activation("maxout", pieces=0), InvalidValueError, "pieces must be a whole number >= 1"),
    (lambda: ov.activation("maxout", pieces=2.5), InvalidValueError, "pieces must be a whole number"),
    (lambda: ov.activation("softplus", beta=0), InvalidValueError, "beta must be > 0"),
    (lambda: ov.activation("elu", alpha=float("nan")), InvalidValueError, "must be finite"),
    (lambda: ov.activation("elu:alpha"), InvalidValueError, "key=value"),
    (lambda: ov.activation("elu:alpha=big"), InvalidValueError, "not a number"),
    (lambda: ov.activation(3), InvalidValueError, "a name like"),
])
def test_bad_activation_requests_say_what_to_do(call, error, match):
    with pytest.raises(error, match=match):
        call()
