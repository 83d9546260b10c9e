"""The working tree reproduces the golden outputs (tests/golden/README.md) byte for byte: the CLI's JSON
lines, the Explore payload and the Lesson's block for the five example photos. A restructure must not
move a single byte; a deliberate change regenerates the fixtures with tests/golden/make_outputs.py."""

import json
from collections.abc import Iterator

import pytest
import torch

from tests.golden import make_outputs

SHOWN = 20  # differing fields listed in a failure message


@pytest.fixture(scope="module")
def outputs():
    threads = torch.get_num_threads()  # make_outputs runs on one thread (deterministic sums); other tests may not
    try:
        yield make_outputs.generate()
    finally:
        torch.set_num_threads(threads)


def differing_fields(before, after, path: str = "") -> Iterator[str]:
    """Paths of the JSON leaves (or types) that differ, in document order."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys(), key=str):
            if key not in before or key not in after:
                yield f"{path}/{key} ({'added' if key in after else 'missing'})"
            else:
                yield from differing_fields(before[key], after[key], f"{path}/{key}")
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from differing_fields(old, new, f"{path}/{index}")
    elif type(before) is not type(after) or before != after:
        yield path or "/"


def first_difference(expected: bytes, actual: bytes) -> str:
    """Where the bytes part, with context, and which JSON fields differ (every line of a .jsonl)."""
    pairs = enumerate(zip(expected, actual, strict=False))
    at = next((i for i, (a, b) in pairs if a != b), min(len(expected), len(actual)))
    context = slice(max(at - 60, 0), at + 60)
    message = [
        f"first difference at byte {at} (lengths {len(expected)} and {len(actual)})",
        f"  expected: ...{expected[context].decode(errors='replace')}...",
        f"  actual:   ...{actual[context].decode(errors='replace')}...",
    ]
    try:
        before = [json.loads(line) for line in expected.decode().splitlines()]
        after = [json.loads(line) for line in actual.decode().splitlines()]
    except ValueError:
        return "\n".join(message)
    fields = list(differing_fields(before, after))
    message.append(f"differing fields ({len(fields)}, line index first): " + ", ".join(fields[:SHOWN]))
    return "\n".join(message)


@pytest.mark.parametrize("name", [make_outputs.CLI, make_outputs.PAYLOADS, make_outputs.LESSONS])
def test_output_matches_golden(outputs, name):
    expected, actual = make_outputs.read_fixture(name), outputs[name]
    assert expected == actual, f"{name}: {first_difference(expected, actual)}"
