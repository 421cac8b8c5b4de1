"""The network claims (a-f, j, k, l, m): each verdict on a quick sweep, and the machinery under them."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import optiviz as ov
from optiviz import nets
from optiviz.nets import grid

NETWORK_LESSONS = ["linear_without_activations", "sigmoid_gradients_vanish", "deep_sigmoid_trains_worse",
                   "relu_keeps_gradients", "relu_piecewise_linear", "maxout_generalizes_relu",
                   "l1_sparse_l2_small_networks", "dropout_reduces_overfitting", "early_stopping",
                   "diagnose_train_then_test"]


@pytest.fixture(scope="module")
def results(quick_lesson):
    """Every network lesson on its quick sweep (the shared experiments run once per session)."""
    return {name: quick_lesson(name) for name in NETWORK_LESSONS}


def test_every_network_claim_is_registered():
    assert set(NETWORK_LESSONS) <= set(ov.lessons.names())
    assert all(ov.lessons.get(n).topic == "networks" for n in NETWORK_LESSONS)


@pytest.mark.parametrize("name", NETWORK_LESSONS)
def test_network_claim_holds_on_the_quick_sweep(results, name):
    r = results[name]
    assert r.holds, (r.claim, r.failures)
    assert r.quick and r.settings >= 4 and 0 < r.robustness <= 1
    d = json.loads(json.dumps(r.to_dict()))
    assert d["holds"] is True and d["claim"] == r.claim
    # the sentence states what was measured: a number in it, and every failure lies outside the stated band
    assert any(ch.isdigit() for ch in r.claim)
    assert all(not row.get("in_band", True) for row in r.rows if not row["holds"])


def test_measured_numbers_say_what_the_claims_say(results):
    b = results["sigmoid_gradients_vanish"].measured
    ratio = b["grad_ratio_init"]
    assert ratio[max(ratio)] < 1e-3 * ratio[min(ratio)]  # deeper: orders of magnitude less gradient at the input
    c = results["deep_sigmoid_trains_worse"].measured["best_train_acc"]
    assert c["sigmoid"][max(c["sigmoid"])] < c["sigmoid"][min(c["sigmoid"])] - 0.2
    assert c["relu"][max(c["relu"])] > 0.95
    lo, hi = results["relu_keeps_gradients"].measured["ratio_init"]
    assert 0.1 < lo <= hi < 10
    assert results["relu_piecewise_linear"].measured["max_error"] < 1e-5
    e = results["dropout_reduces_overfitting"].measured
    assert e["ensemble_error_linear"] < 1e-5 < e["ensemble_error"]["relu"]
    m = results["diagnose_train_then_test"].measured
    assert m["correct"] > m["correct_old_rule"]


def test_a_lesson_refuses_an_unknown_override():
    with pytest.raises(ov.errors.InvalidValueError, match="takes no option"):
        ov.lessons.check("early_stopping", quick=True, depth=3)


def test_grid_member_trains_exactly_as_train_does():
    """The grid reuses train's step: one member reproduces ov.nets.train's curves for the same inputs."""
    data = nets.dataset("moons", n=60, seed=3)
    model = nets.mlp(4, 1, "tanh")
    h = nets.train(model, data, "adam:lr=0.05", 40, l2=1e-3, seed=3)
    p0 = model.init(3)
    g = grid.Group(model, "adam", grid.stack([p0, p0]),
                   tuple(np.stack([a, a]) for a in (data.x_train, data.y_train, data.x_test, data.y_test)),
                   {"lr": [0.05, 0.5]}, l2=1e-3)
    (res,) = grid.run([g], task="binary", steps=40)
    np.testing.assert_allclose(res.train_loss[0], h.train_loss, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res.test_acc[0], h.test_acc)
    assert not np.allclose(res.train_loss[1], h.train_loss)  # the second member's lr is its own


@pytest.mark.parametrize("train,test,eta,n,kind", [
    (0.80, 0.79, 0.2, 200, "good"),          # at the noise ceiling: the old 90% bar called this poor training
    (0.60, 0.58, 0.2, 200, "underfitting"),  # well below the ceiling
    (1.00, 0.70, 0.2, 200, "overfitting"),   # fits flipped labels
    (0.84, 0.77, 0.2, 200, "good"),          # a gap that sampling explains at n = 200
    (0.84, 0.70, 0.2, 200, "overfitting"),
    (0.97, 0.95, 0.0, None, "good"),
    (0.50, 0.50, 0.0, None, "underfitting"),
    (1.00, 0.80, 0.0, None, "overfitting"),
])
def test_judge_knows_the_noise_ceiling(train, test, eta, n, kind):
    assert nets.judge(train, test, label_noise=eta, n_train=n, n_test=n)[0] == kind


def test_diagnose_reads_the_label_noise_of_the_runs_data():
    data = nets.dataset("gaussians", n=400, label_noise=0.2, seed=0)
    h = nets.train(nets.mlp(8, 1, "relu"), data, "adam:lr=0.03", 150)
    assert h.config["label_noise"] == 0.2 and h.config["n_train"] == 200
    at_ceiling = dataclasses.replace(h, train_acc=np.array([0.5, 0.8]), test_acc=np.array([0.5, 0.79]))
    assert nets.diagnose(at_ceiling).startswith("both good") and "noise ceiling 0.80" in nets.diagnose(at_ceiling)
    assert nets.diagnose(at_ceiling, label_noise=0.0).startswith("training set is bad")
