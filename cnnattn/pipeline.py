"""The request pipeline every front end shares: bytes -> safe load -> cached encode -> explain or payload.

Concurrent requests for the same photo share one backbone pass (single flight: the first caller
computes, the others wait for its result instead of racing to fill the cache). An evicted photo
is simply encoded again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

import numpy as np
import torch
from PIL import Image

from cnnattn.analysis.comparison import reference_layer
from cnnattn.analysis.faithfulness import DeletionCurve, deletion_curve
from cnnattn.analysis.gradcam import gradcam_grid
from cnnattn.analysis.occlusion import Occlusion, occlusion
from cnnattn.backbones import Encoded
from cnnattn.explain import Explainer, Explanation
from cnnattn.image.loading import load_image
from cnnattn.payload import build_payload

Value = TypeVar("Value")
FRAME_CAPACITY = 2  # webcam frames: the latest frame and the one a freeze may still read


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class SingleFlightCache(Generic[Value]):
    """Bounded LRU mapping whose `get_or_create` runs `create` once per missing key, however many
    threads ask at the same time; failures are not cached."""

    def __init__(self, capacity: int = 32):
        self.capacity = capacity
        self._items: OrderedDict[str, Value] = OrderedDict()
        self._pending: dict[str, Future] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_create(self, key: str, create: Callable[[], Value]) -> Value:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                self.misses += 1
                pending = self._pending[key] = Future()
        if not owner:
            return pending.result()  # re-raises the owner's exception
        try:
            value = create()
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            pending.set_exception(exc)
            raise
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
            del self._pending[key]
        pending.set_result(value)
        return value

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


class Pipeline:
    """One explainer and its cache of encoded photos, keyed by the content hash of the file's bytes.

    Every backbone pass a front end needs goes through the methods here (encode, Grad-CAM,
    occlusion, deletion curve), so another engine can serve them by overriding these methods
    (`cnnattn.distributed` runs them on Ray Serve replicas); maps from cached features are cheap
    and are computed by the caller.
    """

    def __init__(self, explainer: Explainer, capacity: int = 32):
        self.explainer = explainer
        self.encodings: SingleFlightCache[tuple[Image.Image, Encoded]] = SingleFlightCache(capacity)
        # A webcam streams a new photo every second: its frames get their own small cache so a stream
        # never evicts the photos other students are studying.
        self.frames: SingleFlightCache[tuple[Image.Image, Encoded]] = SingleFlightCache(FRAME_CAPACITY)

    def encode(self, data: bytes, cache: SingleFlightCache | None = None) -> tuple[str, Image.Image, Encoded]:
        """(key, photo, encoding) of an uploaded file's bytes, kept in `cache` (the photos' cache unless
        given); `ImageRejected` for unusable files."""
        key = content_key(data)

        def create() -> tuple[Image.Image, Encoded]:
            photo = load_image(data)
            return photo, self.explainer.encode(photo)

        return (key, *(self.encodings if cache is None else cache).get_or_create(key, create))

    def encode_frame(self, data: bytes) -> tuple[str, Image.Image, Encoded]:
        """`encode` for a webcam frame, cached apart from the photos (`frames`)."""
        return self.encode(data, cache=self.frames)

    def explain(self, data: bytes, **options) -> tuple[Image.Image, Explanation]:
        _, photo, encoded = self.encode(data)
        return photo, self.explainer.explain_encoded(encoded, **options)

    def payload(self, data: bytes, **options) -> dict:
        """`cnnattn.payload.build_payload` for the photo, plus its cache key."""
        key, photo, encoded = self.encode(data)
        return build_payload(self.explainer, photo, encoded, **options) | {"key": key}

    def inputs(self, photo: Image.Image) -> torch.Tensor:
        """The photo as the backbone's input batch (1, 3, H, W) on the explainer's device."""
        return self.explainer.preprocessing(photo)[None].to(self.explainer.device)

    def gradcam(self, photo: Image.Image, class_index: int, layer: str | None = None) -> np.ndarray:
        """Grad-CAM of the backbone for one class on the heads' grid, summing to 1."""
        return gradcam_grid(self.explainer.backbone, self.inputs(photo), class_index, layer)

    def reference_map(self, photo: Image.Image, class_index: int) -> tuple[str, np.ndarray]:
        """(layer, map): Grad-CAM at the earliest kept stage on the heads' grid, the lesson's comparison
        that is not computed from the class map's own scores (`cnnattn.analysis.comparison`)."""
        layer = reference_layer(self.explainer.backbone)
        return layer, self.gradcam(photo, class_index, layer)

    def occlusion(self, photo: Image.Image, mask: np.ndarray) -> Occlusion:
        """The photo with the grid cells in `mask` covered, encoded again."""
        return occlusion(self.explainer.backbone, self.inputs(photo), mask, photo.size)

    def deletion_curve(self, photo: Image.Image, weights: np.ndarray, class_index: int) -> DeletionCurve:
        return deletion_curve(self.explainer.backbone, self.inputs(photo), weights, class_index)
