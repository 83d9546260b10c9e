"""Photo in, predictions and attention maps out: the library's main entry point.

`encode` runs the backbone once; `explain_encoded` turns cached features into maps cheaply, so
changing the class, temperature or query never reruns the backbone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cnnattn.backbones import DEFAULT_BACKBONE, capture_stages, create_backbone
from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR, CheckpointError, load_head
from cnnattn.image.loading import load_image
from cnnattn.image.preprocess import Preprocessing
from cnnattn.labels import class_names
from cnnattn.model import AttentionModel

CENTRE = (0.5, 0.5)
# Per-position class scores are ~H*W times larger than their share of the pooled logit, so a
# softmax at T=1 is nearly one-hot; T=4 keeps the map's shape readable (entropy measured in tests).
DEFAULT_CLASS_TEMPERATURE = 4.0


@dataclass(frozen=True)
class Prediction:
    index: int  # ImageNet class index
    label: str  # class name in the requested language
    prob: float  # softmax probability


@dataclass(frozen=True)
class AttentionMap:
    head: str  # e.g. "simple/0", "class", "self/2"
    kind: str  # "simple" | "class" | "self"
    weights: np.ndarray  # (h, w) float32, non-negative, sums to 1
    class_index: int | None = None  # class maps: the class whose classifier row scored positions
    query: tuple[float, float] | None = None  # self maps: (x, y) fractions of width and height

    def to_json(self) -> dict:
        record = {"head": self.head, "kind": self.kind, "shape": list(self.weights.shape)}
        if self.class_index is not None:
            record["class_index"] = self.class_index
        if self.query is not None:
            record["query"] = list(self.query)
        record["weights"] = self.weights.tolist()
        return record


@dataclass(frozen=True)
class Explanation:
    size: tuple[int, int]  # (width, height) of the photo as the user sees it
    predictions: list[Prediction]  # top-k of the backbone's own classifier
    maps: list[AttentionMap]
    head_predictions: dict[str, list[Prediction]] = field(default_factory=dict)  # learned heads' own top-k

    def to_json(self, image: str | None = None) -> dict:
        record = {"image": image, "size": list(self.size), "predictions": [vars(p) for p in self.predictions]}
        record["maps"] = [m.to_json() for m in self.maps]
        record["head_predictions"] = {k: [vars(p) for p in v] for k, v in self.head_predictions.items()}
        return record


@dataclass(frozen=True)
class Encoded:
    """Backbone output for one photo, kept on the device so maps can be recomputed cheaply."""

    features: torch.Tensor  # (1, C, h, w)
    logits: torch.Tensor  # (1, classes)
    size: tuple[int, int]  # (width, height) of the photo
    # Earlier backbone stages from the same pass, name -> (1, C_s, H_s, W_s); empty when not kept.
    stages: dict[str, torch.Tensor] = field(default_factory=dict)


def resolve_device(device: str | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was requested but no CUDA GPU is available; use --device cpu.")
    return torch.device(device)


def grid_cell(query: tuple[float, float], grid: tuple[int, int]) -> int:
    """Flat index of the grid cell under (x, y) fractions of the photo; grid is (h, w)."""
    x, y = query
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise ValueError(f"Query {query} must be fractions of width and height in [0, 1].")
    h, w = grid
    return min(int(y * h), h - 1) * w + min(int(x * w), w - 1)


class Explainer:
    """Owns the model, preprocessing and device; loads once and serves many photos."""

    def __init__(self, model: AttentionModel, preprocessing: Preprocessing, device: torch.device, notes=()):
        self.model = model.to(device).eval()
        self.preprocessing = preprocessing
        self.device = device
        self.notes: tuple[str, ...] = tuple(notes)  # one sentence per head that could not load

    @classmethod
    def load(
        cls,
        backbone: str = DEFAULT_BACKBONE,
        device: str | None = None,
        checkpoint_dir: str | Path = DEFAULT_CHECKPOINT_DIR,
        weights: str | Path | None = None,
        short_side: int | None = None,
    ) -> Explainer:
        """Build the backbone and load whichever trained heads exist; missing ones become notes."""
        net = create_backbone(backbone, weights)
        heads, notes = {}, []
        for kind in ("simple", "self"):
            try:
                heads[kind] = load_head(Path(checkpoint_dir), backbone, kind, net.num_features).head
            except CheckpointError as exc:
                notes.append(str(exc))
        model = AttentionModel(net, heads.get("simple"), heads.get("self"))
        preprocessing = Preprocessing.from_config(net.data_config, net.stride, short_side)
        return cls(model, preprocessing, resolve_device(device), notes)

    @torch.inference_mode()
    def encode(self, image: Image.Image) -> Encoded:
        inputs = self.preprocessing(image).unsqueeze(0).to(self.device)
        with capture_stages(self.model.backbone) as stages:
            features, logits = self.model(inputs)
        return Encoded(features, logits, image.size, dict(stages))

    @torch.inference_mode()
    def explain_encoded(
        self,
        encoded: Encoded,
        queries: list[tuple[float, float]] | tuple = (CENTRE,),
        class_index: int | None = None,
        temperature: float = 1.0,
        class_temperature: float = DEFAULT_CLASS_TEMPERATURE,
        top_k: int = 5,
        language: str = "en",
    ) -> Explanation:
        """Maps from cached features: the class map, every SimpleAttention head, and for each
        query every SelfAttention head's row. `temperature` divides the learned heads' scores."""
        if temperature <= 0 or class_temperature <= 0:
            raise ValueError("Temperature must be positive.")
        features = encoded.features
        h, w = features.shape[-2:]
        names = class_names(language)
        predictions = _top_k(encoded.logits, top_k, names)
        if class_index is None:
            class_index = predictions[0].index
        if not 0 <= class_index < len(names):
            raise ValueError(f"Class index {class_index} is outside 0..{len(names) - 1}.")

        pending: list[tuple[str, str, torch.Tensor, int | None, tuple[float, float] | None]] = []
        class_weights = self.model.class_maps(
            features, torch.tensor([class_index], device=self.device), class_temperature
        )
        pending.append(("class", "class", class_weights[0], class_index, None))
        head_predictions = {}
        if self.model.simple is not None:
            simple_weights, simple_logits = self.model.simple_maps(features, temperature)  # (1, K, h, w)
            head_predictions["simple"] = _top_k(simple_logits, top_k, names)
            for k, weights in enumerate(simple_weights[0]):
                pending.append((f"simple/{k}", "simple", weights, None, None))
        if self.model.self_attention is not None:
            self_weights, self_logits = self.model.self_maps(features, temperature)  # (1, heads, HW, HW)
            head_predictions["self"] = _top_k(self_logits, top_k, names)
            for query in queries:
                row = self_weights[0, :, grid_cell(query, (h, w))]  # (heads, HW)
                for head, weights in enumerate(row):
                    pending.append((f"self/{head}", "self", weights.view(h, w), None, tuple(query)))

        # One device->host copy for all maps.
        stacked = torch.stack([item[2] for item in pending]).float().cpu().numpy()
        maps = [
            AttentionMap(name, kind, weights, cls_index, query)
            for (name, kind, _, cls_index, query), weights in zip(pending, stacked, strict=True)
        ]
        return Explanation(encoded.size, predictions, maps, head_predictions)

    def explain(self, source, **options) -> Explanation:
        """Load (safely), encode and explain one photo: path, bytes or PIL image."""
        return self.explain_encoded(self.encode(load_image(source)), **options)


def _top_k(logits: torch.Tensor, k: int, names: tuple[str, ...]) -> list[Prediction]:
    probs, indices = logits.float().softmax(dim=-1)[0].topk(k)
    return [Prediction(int(i), names[int(i)], float(p)) for p, i in zip(probs.tolist(), indices.tolist(), strict=True)]
