"""Photo in, predictions and attention maps out: the library's main entry point.

`encode` runs the backbone once; `explain_encoded` turns cached features into maps cheaply, so
changing the class, temperature or query never reruns the backbone. Every registered head kind
(`cnnattn.heads.HEAD_KINDS`) is explained; none is named here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cnnattn.analysis.calibration import load_calibration
from cnnattn.backbones import DEFAULT_BACKBONE, FINAL, Backbone, Encoded, create_backbone
from cnnattn.errors import UserError, error_message
from cnnattn.heads import (
    CheckpointError,
    Head,
    HeadId,
    MapForm,
    MapOptions,
    position_weights,
    query_row_weights,
    registered_kinds,
)
from cnnattn.heads.checkpoints import DEFAULT_CHECKPOINT_DIR
from cnnattn.i18n import text
from cnnattn.image.loading import load_image, photo_size
from cnnattn.image.preprocess import Preprocessing
from cnnattn.labels import class_names
from cnnattn.maps import CENTRE, grid_cell

__all__ = ["CENTRE", "AttentionMap", "Encoded", "Explainer", "Explanation", "MapRequest", "Prediction", "grid_cell"]


@dataclass(frozen=True)
class MapRequest:
    """Which maps `Explainer.explain_encoded` computes from cached features: what changes a map, not how
    the predictions are worded."""

    queries: Sequence[tuple[float, float]] = (CENTRE,)  # query-row heads: (x, y) fractions; a map per head and query
    class_index: int | None = None  # the class class-conditional heads score; None: the top-1 prediction
    temperatures: Mapping[str, float] | None = None  # per head kind, overriding the kinds' defaults
    layer: str = FINAL  # backbone layer, for heads that can run on earlier stages


@dataclass(frozen=True)
class Prediction:
    index: int  # ImageNet class index
    label: str  # class name in the requested language
    prob: float  # probability shown to people: softmax(logits / calibration temperature)
    logit: float  # the raw logit of this class


@dataclass(frozen=True)
class AttentionMap:
    head: HeadId  # which head, e.g. HeadId("simple", 0); written as "simple/0" (or "class")
    weights: np.ndarray  # (h, w) float32, non-negative, sums to 1
    class_index: int | None = None  # class-conditional heads: the class whose classifier row scored positions
    query: tuple[float, float] | None = None  # query-row heads: (x, y) fractions of width and height

    @property
    def kind(self) -> str:
        return self.head.kind

    def to_json(self) -> dict:
        record = {"head": str(self.head), "kind": self.kind, "shape": list(self.weights.shape)}
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
    head_predictions: dict[str, list[Prediction]] = field(default_factory=dict)  # trained heads' own top-k
    calibration: str = "none"  # how `prob` was obtained from the logits
    notes: tuple[str, ...] = ()  # sentences about this photo for the reader, e.g. that it is small

    def to_json(self, image: str | None = None) -> dict:
        record = {"image": image, "size": list(self.size), "predictions": [vars(p) for p in self.predictions]}
        record["calibration"] = self.calibration
        record["notes"] = list(self.notes)
        record["maps"] = [m.to_json() for m in self.maps]
        record["head_predictions"] = {k: [vars(p) for p in v] for k, v in self.head_predictions.items()}
        return record


def resolve_device(device: str | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was requested but no CUDA GPU is available; use --device cpu.")
    return torch.device(device)


class Explainer:
    """Owns the backbone, the registered heads, preprocessing and device; loads once, serves many photos."""

    def __init__(
        self,
        backbone: Backbone,
        heads: list[Head],
        preprocessing: Preprocessing,
        device: torch.device,
        notes=(),
        calibration: tuple[float, str] = (1.0, "none"),
    ):
        self.backbone = backbone.to(device).eval()
        self.heads = torch.nn.ModuleList(heads).to(device).eval()  # in display order
        self.preprocessing = preprocessing
        self.device = device
        # What could not load (checkpoint errors, a missing calibration): UserErrors, worded per language.
        self.problems: tuple[BaseException | str, ...] = tuple(notes)
        # Probabilities shown are softmax(logits / T); (T, one-line description of how T was fitted).
        self.calibration_temperature, self.calibration = calibration
        self.calibrated_by = None  # the shipped Calibration behind the temperature (Explainer.load sets it)

    @classmethod
    def load(
        cls,
        backbone: str = DEFAULT_BACKBONE,
        device: str | None = None,
        checkpoint_dir: str | Path = DEFAULT_CHECKPOINT_DIR,
        weights: str | Path | None = None,
        short_side: int | None = None,
        calibrate: bool = True,
    ) -> Explainer:
        """Build the backbone and every registered head kind; heads that cannot load become notes.

        `short_side` defaults to the calibrated scale when a calibration ships for the backbone;
        `calibrate=False` shows plain softmax probabilities."""
        net = create_backbone(backbone, weights)
        heads, notes = [], []
        for kind in registered_kinds():
            try:
                heads.append(kind.create(net, Path(checkpoint_dir)))
            except CheckpointError as exc:
                notes.append(exc)
        shipped = load_calibration(backbone) if weights is None else None  # fitted for the shipped weights only
        if short_side is None and shipped is not None:
            short_side = shipped.default_short_side
        preprocessing = Preprocessing.from_config(net.data_config, net.stride, short_side)
        calibration, calibrated_by = (1.0, text("calibration.none")), None
        if calibrate and shipped is not None and preprocessing.short_side in shipped.temperatures:
            calibration = (shipped.temperature(preprocessing.short_side), shipped.describe(preprocessing.short_side))
            calibrated_by = shipped
        elif calibrate and shipped is not None:
            notes.append(UserError("note.no_calibration", side=preprocessing.short_side))
        explainer = cls(net, heads, preprocessing, resolve_device(device), notes, calibration)
        explainer.calibrated_by = calibrated_by
        return explainer

    def calibration_text(self, language: str = "en") -> str:
        """`calibration` worded in `language` (the web app's notes follow its language switch)."""
        if self.calibrated_by is None:
            return self.calibration if language == "en" else text("calibration.none", language)
        return self.calibrated_by.describe(self.preprocessing.short_side, language)

    @property
    def notes(self) -> tuple[str, ...]:
        """One English sentence per problem (CLI, logs); `notes_text` words them for a page."""
        return self.notes_text("en")

    def notes_text(self, language: str = "en") -> tuple[str, ...]:
        return tuple(
            problem if isinstance(problem, str) else error_message(problem, language) for problem in self.problems
        )

    def photo_notes(self, size: tuple[int, int], language: str = "en") -> tuple[str, ...]:
        """Sentences about one photo of `size` (width, height): a photo whose shorter side is below the
        network input's (`preprocessing.short_side`) is enlarged to it, so each grid cell of its maps
        rests on fewer real pixels than the network was trained to see."""
        side = self.preprocessing.short_side
        if min(size) < side:
            return (text("note.small_photo", language, width=size[0], height=size[1], side=side),)
        return ()

    def head(self, kind: str) -> Head | None:
        return next((head for head in self.heads if head.kind == kind), None)

    def head_ids(self) -> list[HeadId]:
        return [head_id for head in self.heads for head_id in head.ids()]

    @torch.inference_mode()
    def encode_inputs(self, inputs: torch.Tensor, size: tuple[int, int]) -> Encoded:
        """Encode an already preprocessed image (3, H, W) of a photo of `size` (width, height)."""
        return self.backbone.encode(inputs.unsqueeze(0).to(self.device), size)

    def encode(self, image: Image.Image) -> Encoded:
        return self.encode_inputs(self.preprocessing(image), photo_size(image))

    def temperatures(self, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
        """Softmax temperature per head kind: the kind's default unless overridden."""
        chosen = {head.kind: head.default_temperature for head in self.heads}
        for kind, temperature in (overrides or {}).items():
            if kind not in chosen:
                raise ValueError(f"No head kind {kind!r} to set a temperature for; loaded: {', '.join(chosen)}.")
            if not temperature > 0:
                raise ValueError("Temperature must be positive.")
            chosen[kind] = float(temperature)
        return chosen

    def predictions(self, logits: torch.Tensor, top_k: int = 5, language: str = "en") -> list[Prediction]:
        """Top-k of (1, classes) logits with calibrated probabilities and raw logits."""
        names = class_names(language)
        probs = (logits.float() / self.calibration_temperature).softmax(dim=-1)[0]
        top = probs.topk(top_k)
        return [
            Prediction(int(i), names[int(i)], float(p), float(logits[0, int(i)]))
            for p, i in zip(top.values.tolist(), top.indices.tolist(), strict=True)
        ]

    @torch.inference_mode()
    def explain_encoded(
        self, encoded: Encoded, request: MapRequest = MapRequest(), top_k: int = 5, language: str = "en"
    ) -> Explanation:
        """Every registered head's maps from cached features, as `request` asks: position heads give one
        map per head, query-row heads one map per head and query."""
        chosen = self.temperatures(request.temperatures)
        predictions = self.predictions(encoded.logits, top_k, language)
        class_index = predictions[0].index if request.class_index is None else request.class_index
        if not 0 <= class_index < encoded.logits.shape[-1]:
            raise ValueError(f"Class index {class_index} is outside 0..{encoded.logits.shape[-1] - 1}.")
        maps, head_predictions = [], {}
        for head in self.heads:
            options = MapOptions(class_index, request.layer if head.layers else FINAL)
            maps += head_maps(head, head.map_inputs(encoded, options), request.queries, chosen[head.kind])
            logits = head.logits(encoded.features, chosen[head.kind])
            if logits is not None:
                head_predictions[head.kind] = self.predictions(logits, top_k, language)
        # One device->host copy for all maps (grids differ in size when a head runs on another layer).
        flat = torch.cat([weights.flatten() for _, weights in maps]).float().cpu().numpy()
        grids = np.split(flat, np.cumsum([weights.numel() for _, weights in maps])[:-1])
        attention_maps = [
            AttentionMap(
                head_id, grid.reshape(weights.shape), class_index if head_id.kind in _class_kinds(self) else None, query
            )
            for ((head_id, query), weights), grid in zip(maps, grids, strict=True)
        ]
        notes = self.photo_notes(encoded.size, language)
        return Explanation(encoded.size, predictions, attention_maps, head_predictions, self.calibration, notes)

    def explain(self, source, request: MapRequest = MapRequest(), top_k: int = 5, language: str = "en") -> Explanation:
        """Load (safely), encode and explain one photo: path, bytes or PIL image."""
        return self.explain_encoded(self.encode(load_image(source)), request, top_k, language)


def _class_kinds(explainer: Explainer) -> set[str]:
    return {head.kind for head in explainer.heads if head.class_conditional}


def head_maps(head: Head, inputs, queries, temperature: float):
    """[((HeadId, query or None), weights (h, w))] for one head's map inputs."""
    ids = head.ids()
    if head.form is MapForm.POSITION:
        return [((i, None), weights) for i, weights in zip(ids, position_weights(inputs, temperature), strict=True)]
    maps = []
    for query in queries:
        rows = query_row_weights(inputs, grid_cell(query, inputs.grid), temperature)  # (K, h, w)
        maps += [((i, tuple(query)), weights) for i, weights in zip(ids, rows, strict=True)]
    return maps
