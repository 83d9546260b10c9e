"""The fixed three-way split is stable, disjoint and close to 60/20/20."""

from cnnattn.training.splits import SPLITS, split_names, split_of


def test_split_depends_only_on_the_name():
    names = [f"n{i:08d}_photo.JPEG" for i in range(2000)]
    groups = split_names(names)
    assert sorted(sum(groups.values(), [])) == sorted(names)  # every name once
    assert {split_of(n) for n in names} == set(SPLITS)
    assert split_names(names[::-1])["held_out"] == groups["held_out"][::-1]  # order-free membership
    shares = {s: len(g) / len(names) for s, g in groups.items()}
    assert abs(shares["train"] - 0.6) < 0.04 and abs(shares["validation"] - 0.2) < 0.03
