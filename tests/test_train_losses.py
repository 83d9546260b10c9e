"""One epoch of every trained kind on a fixed feature fixture gives the recorded per-step losses: the
training loop and each kind's objective and forward keep their numbers through refactors
(tests/golden/make_train_losses.py makes the fixture and says how)."""

import json

import pytest

from tests.golden import make_train_losses as golden

EXPECTED = json.loads(golden.FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def backbone():
    from cnnattn.backbones import create_backbone

    return create_backbone("efficientnet_lite0")


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_one_epoch_reproduces_the_recorded_losses(kind, backbone):
    losses = golden.losses(kind, backbone, golden.fixture_dataset())
    assert len(losses) == len(EXPECTED[kind]) > 0
    assert losses == pytest.approx(EXPECTED[kind], rel=0, abs=1e-6)


def test_training_loops_over_the_registered_trained_kinds():
    from cnnattn.heads import register_head, unregister_head
    from cnnattn.heads.simple import SimplePooling
    from cnnattn.training.options import KINDS
    from cnnattn.training.train import CHOSEN, trainable_kinds, trained_kind

    assert tuple(kind.kind for kind in trainable_kinds()) == KINDS  # `--help`'s choices are the registry's
    assert set(KINDS) <= set(CHOSEN)

    @register_head
    class ToyPooling(SimplePooling):
        kind, order = "toy_trained", 99

    try:
        assert ToyPooling in trainable_kinds()
        with pytest.raises(ValueError, match="toy_trained' has no objective"):
            trained_kind("toy_trained")
    finally:
        unregister_head("toy_trained")
    with pytest.raises(ValueError, match="not a registered trained head kind"):
        trained_kind("class")
