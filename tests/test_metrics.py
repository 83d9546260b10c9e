"""Metrics equal direct reference formulas on tiny arrays."""

import math

import numpy as np
import pytest
import torch

from cnnattn.analysis.metrics import (
    Endpoints,
    PerturbationImages,
    centred_gaussian,
    entropy,
    insertion_deletion,
    kl_from_uniform,
    object_share,
    perturbation_batch,
    ranking,
    trapezoid_auc,
)


@pytest.mark.parametrize("n", [1, 2, 7, 80])
def test_entropy_of_uniform_is_log_n_and_of_one_hot_is_zero(n):
    uniform = torch.full((n,), 1.0 / n, dtype=torch.float64)
    one_hot = torch.zeros(n, dtype=torch.float64)
    one_hot[0] = 1
    assert entropy(uniform).item() == pytest.approx(math.log(n))
    assert entropy(one_hot).item() == 0
    assert kl_from_uniform(uniform).item() == pytest.approx(0, abs=1e-12)


def test_entropy_and_kl_match_direct_formula(generator):
    p = torch.rand(3, 10, generator=generator, dtype=torch.float64).softmax(-1)
    direct = -np.sum(p.numpy() * np.log(p.numpy()), axis=-1)
    kl = np.sum(p.numpy() * np.log(p.numpy() * 10), axis=-1)
    np.testing.assert_allclose(entropy(p).numpy(), direct)
    np.testing.assert_allclose(kl_from_uniform(p).numpy(), kl)


@pytest.mark.parametrize(
    "values, area",
    [([1, 1, 1], 1.0), ([0, 1], 0.5), ([0, 0.5, 1], 0.5), ([1, 0, 0, 0, 0], 0.125), ([0.2, 0.9, 0.4, 0.4], None)],
)
def test_trapezoid_auc(values, area):
    expected = np.trapezoid(values, dx=1 / (len(values) - 1)) if area is None else area
    assert trapezoid_auc(torch.tensor(values)) == pytest.approx(expected)


def test_ranking_is_descending_and_stable():
    assert ranking(torch.tensor([[0.1, 0.5], [0.5, 0.9]])).tolist() == [3, 1, 2, 0]


def test_perturbation_batch_takes_top_fraction_from_fill():
    start, fill = torch.zeros(3, 2, 4), torch.ones(3, 2, 4)
    saliency = torch.arange(8.0).view(2, 4)  # most salient: bottom-right, in reverse raster order
    batch = perturbation_batch(start, fill, ranking(saliency), [0, 0.25, 0.5, 1])
    assert batch.shape == (4, 3, 2, 4)
    assert batch[0].sum() == 0 and batch[3].min() == 1
    expected = torch.zeros(2, 4)
    expected[1, 2:] = 1  # the two most salient of 8 pixels
    assert torch.equal(batch[1, 0], expected)
    assert torch.equal(batch[2, 0], (saliency >= 4).float())


def _object_predictor(object_mask):
    """A stand-in classifier: the class probability is the share of the object's pixels still original (=1)."""
    return lambda batch: (batch[:, 0] * object_mask).sum(dim=(1, 2)) / object_mask.sum()


@pytest.mark.parametrize("steps", [4, 8, 16])
def test_insertion_deletion_of_perfect_and_inverted_maps(steps):
    H, W = 4, 8
    image, blurred, grey = torch.ones(3, H, W), torch.zeros(3, H, W), torch.zeros(3, H, W)
    object_mask = torch.zeros(H, W)
    object_mask[0, :] = 1  # the object is the first quarter of the pixels
    predict = _object_predictor(object_mask)
    ends = Endpoints(original=1.0, blurred=0.0, grey=0.0)

    images = PerturbationImages(image, blurred, grey, ends)
    perfect = insertion_deletion(images, object_mask + 0.01 * torch.rand(H, W), predict, steps)
    # Insertion reaches 1 after a quarter of the pixels: AUC = 1 - 0.25 / 2; deletion is the mirror image.
    assert perfect.insertion_auc == pytest.approx(0.875)
    assert perfect.deletion_auc == pytest.approx(0.125)
    torch.testing.assert_close(perfect.insertion[: steps // 4 + 1], torch.linspace(0, 1, steps // 4 + 1).double())

    inverted = insertion_deletion(images, 1 - object_mask, predict, steps)
    assert inverted.insertion_auc == pytest.approx(0.125)
    assert inverted.deletion_auc == pytest.approx(0.875)


def test_insertion_deletion_rejects_saliency_of_wrong_size():
    image = torch.zeros(3, 4, 4)
    with pytest.raises(ValueError, match="must match"):
        insertion_deletion(
            PerturbationImages(image, image, image, Endpoints(0, 0, 0)), torch.zeros(2, 2), lambda b: b.sum((1, 2, 3))
        )


def test_centred_gaussian_peaks_in_the_middle_and_is_symmetric():
    g = centred_gaussian(6, 10)
    assert g.shape == (6, 10)
    assert torch.equal(g, g.flip(0)) and torch.equal(g, g.flip(1))
    assert g[2:4, 4:6].min() == g.max()


def test_object_share_of_uniform_row_equals_area_share(generator):
    fraction = (torch.rand(5, 7, generator=generator) > 0.6).float()
    uniform = torch.full((5, 7), 1 / 35)
    share, area = object_share(uniform, fraction)
    assert share == pytest.approx(area) == pytest.approx(fraction.mean().item())
    peaked = fraction / fraction.sum()
    assert object_share(peaked, fraction)[0] == pytest.approx(1.0)
