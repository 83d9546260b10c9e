"""Single flight: a class sending the same photo at once costs one backbone pass."""

import threading
import time

import pytest

from cnnattn.pipeline import Pipeline, SingleFlightCache


def test_concurrent_misses_run_create_once_and_share_the_value():
    cache = SingleFlightCache(capacity=2)
    calls = []

    def create():
        calls.append(1)
        time.sleep(0.2)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_create("k", create))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1
    assert cache.misses == 1 and cache.hits == 0


def test_failures_are_shared_but_not_cached_and_eviction_recomputes():
    cache = SingleFlightCache(capacity=1)
    with pytest.raises(ValueError):
        cache.get_or_create("bad", lambda: (_ for _ in ()).throw(ValueError("no")))
    assert cache.get_or_create("bad", lambda: 1) == 1
    cache.get_or_create("other", lambda: 2)
    assert "bad" not in cache and cache.get_or_create("bad", lambda: 3) == 3


def test_pipeline_encodes_a_photo_once_for_many_threads(explainer, example_photos):
    pipeline = Pipeline(explainer)
    data = example_photos["lion"].read_bytes()
    passes = []
    original = explainer.backbone.encode

    def counted(*args):
        passes.append(1)
        return original(*args)

    explainer.backbone.encode = counted
    try:
        threads = [threading.Thread(target=pipeline.payload, args=(data,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        del explainer.backbone.encode
    assert len(passes) == 1
    assert pipeline.payload(data)["predictions"][0]["label"] == "lion"


def test_webcam_frames_have_their_own_cache_and_never_evict_photos(explainer, example_photos):
    pipeline = Pipeline(explainer, capacity=1)
    photo = example_photos["lion"].read_bytes()
    key, _, _ = pipeline.encode(photo)
    frame = example_photos["cheetah"].read_bytes()
    for end in (b"", b"\0", b"\0\0"):  # three different frames, more than the frames' cache holds
        pipeline.encode_frame(frame + end)
    assert key in pipeline.encodings and len(pipeline.encodings) == 1
    assert len(pipeline.frames) <= 2
