"""Calibration maths on hand-checked and synthetic data; the shipped temperatures on real photos."""

import math

import pytest
import torch

from cnnattn.analysis.calibration import (
    Calibration,
    binned_ece,
    bootstrap_interval,
    bootstrap_intervals,
    expected_calibration_error,
    fit_temperature,
    load_calibration,
    negative_log_likelihood,
    top1_accuracy,
)
from tests.conftest import IMAGENET_SAMPLES, require_shared

torch.set_num_threads(1)


def test_ece_matches_a_hand_computed_example():
    # Top-1 confidences 0.9, 0.8, 0.55, 0.35 (bins 9, 8, 6, 4 of 10); correct: yes, no, yes, yes.
    probs = torch.tensor(
        [
            [0.9, 0.05, 0.05],
            [0.8, 0.1, 0.1],
            [0.25, 0.55, 0.2],
            [0.35, 0.33, 0.32],
        ]
    )
    labels = torch.tensor([0, 1, 1, 0])
    # Each sample alone in its bin: ECE = (|1-0.9| + |0-0.8| + |1-0.55| + |1-0.35|) / 4 = 2.0 / 4.
    assert expected_calibration_error(probs, labels) == pytest.approx(0.5)
    # One bin: |mean accuracy - mean confidence| = |0.75 - 0.65|.
    assert expected_calibration_error(probs, labels, bins=1) == pytest.approx(0.1)


def test_ece_bins_are_right_closed():
    # Confidence exactly 0.8 falls in (0.7, 0.8], with 0.75; 0.85 in (0.8, 0.9] alone.
    confidence = torch.tensor([0.75, 0.8, 0.85])
    correct = torch.tensor([1.0, 0.0, 1.0])
    expected = (abs(1 - 0.75 + 0 - 0.8) + abs(1 - 0.85)) / 3
    assert binned_ece(confidence, correct) == pytest.approx(expected)


def test_ece_is_zero_when_confidence_equals_accuracy_per_bin():
    probs = torch.tensor([[0.5, 0.5, 0.0]] * 4)  # argmax picks class 0
    labels = torch.tensor([0, 0, 1, 1])
    assert expected_calibration_error(probs, labels) == pytest.approx(0.0, abs=1e-12)


def _synthetic(t_true: float, n: int = 20000, classes: int = 10, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    logits = 3.0 * torch.randn(n, classes, generator=generator, dtype=torch.float64)
    labels = torch.multinomial(torch.softmax(logits / t_true, dim=-1), 1, generator=generator)[:, 0]
    return logits, labels


@pytest.mark.parametrize("t_true", [0.5, 1.0, 2.5])
def test_fit_temperature_recovers_a_known_temperature(t_true):
    logits, labels = _synthetic(t_true)
    assert fit_temperature(logits, labels) == pytest.approx(t_true, rel=0.05)


def test_fitted_temperature_lowers_nll_and_ece_and_keeps_top1():
    logits, labels = _synthetic(2.0, seed=1)
    t = fit_temperature(logits, labels)
    assert negative_log_likelihood(logits, labels, t) < negative_log_likelihood(logits, labels)
    for other in (0.8 * t, 1.25 * t):  # a minimum, not just an improvement
        assert negative_log_likelihood(logits, labels, t) <= negative_log_likelihood(logits, labels, other)
    raw = expected_calibration_error(logits.softmax(-1), labels)
    calibrated = expected_calibration_error((logits / t).softmax(-1), labels)
    assert calibrated < raw
    assert top1_accuracy(logits / t, labels) == top1_accuracy(logits, labels)


def test_fit_temperature_is_deterministic():
    logits, labels = _synthetic(1.7, n=2000, seed=2)
    assert fit_temperature(logits, labels) == fit_temperature(logits.clone(), labels.clone())


def test_bootstrap_interval_is_seeded_and_covers_the_estimate():
    values = torch.arange(100, dtype=torch.float64)
    interval = bootstrap_interval(lambda idx: float(values[idx].mean()), 100, resamples=500, seed=3)
    assert interval == bootstrap_interval(lambda idx: float(values[idx].mean()), 100, resamples=500, seed=3)
    low, high = interval
    assert low < 49.5 < high
    # Standard error of the mean is about 2.9: the 95% interval is about +-5.7 wide.
    assert 3 < 49.5 - low < 9 and 3 < high - 49.5 < 9
    both = bootstrap_intervals(lambda idx: {"mean": float(values[idx].mean()), "max": float(values[idx].max())}, 100)
    assert set(both) == {"mean", "max"} and both["max"][1] == 99


def test_shipped_calibration_loads():
    calibration = load_calibration("efficientnet_lite0")
    assert isinstance(calibration, Calibration)
    assert calibration.backbone == "efficientnet_lite0"
    assert calibration.temperatures and all(math.isfinite(t) and t > 0 for t in calibration.temperatures.values())
    assert calibration.default_short_side in calibration.temperatures
    assert calibration.temperature() == calibration.temperatures[calibration.default_short_side]
    with pytest.raises(ValueError, match="offered scales"):
        calibration.temperature(999)
    text = calibration.describe()
    assert "\n" not in text and str(calibration.default_short_side) in text
    assert "\n" not in calibration.method and calibration.method
    logits = torch.tensor([[2.0, 1.0, -1.0]])
    assert calibration.probabilities(logits).argmax() == logits.argmax()


def test_no_calibration_for_an_unknown_backbone():
    assert load_calibration("no_such_backbone") is None


@pytest.mark.slow
def test_shipped_temperature_lowers_held_out_ece_on_real_photos():
    from cnnattn.backbones import create_backbone
    from cnnattn.image.loading import load_image
    from cnnattn.image.preprocess import Preprocessing
    from cnnattn.training.data import find_labelled_images
    from cnnattn.training.splits import split_of

    root = require_shared(IMAGENET_SAMPLES)
    calibration = load_calibration("efficientnet_lite0")
    backbone = create_backbone("efficientnet_lite0")
    pre = Preprocessing.from_config(backbone.data_config, backbone.stride, calibration.default_short_side)
    held_out = [
        image for image in find_labelled_images(root) if split_of(image.path.relative_to(root).as_posix()) == "held_out"
    ][:60]
    assert len(held_out) == 60
    with torch.inference_mode():
        logits = torch.stack(
            [backbone.forward_head(backbone.forward_features(pre(load_image(i.path))[None]))[0] for i in held_out]
        )
    labels = torch.tensor([i.class_index for i in held_out])
    raw = expected_calibration_error(logits.softmax(-1), labels)
    calibrated = expected_calibration_error(calibration.probabilities(logits), labels)
    assert calibrated < raw
