"""The answer to a photo as data: what a browser needs to compute every registered head's weights
at any temperature, query or head choice without asking the server again.

Arrays travel as base64 of little-endian float32. A position-form head ships its score grids; a
query-row head ships either its scaled logit matrix (K, n, n) or its queries and keys (K, n, d),
whichever is smaller (for the feature self-attention Q = K, so the keys are not repeated). The
browser computes `softmax(scores / T)` or `softmax(row / T)` exactly as `cnnattn.heads` does;
`weights_from_payload` is that computation in Python, the reference the browser view is tested
against.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image

from cnnattn.backbones import FINAL, Encoded
from cnnattn.explain import Explainer
from cnnattn.heads import Head, MapForm, MapOptions, PositionScores
from cnnattn.maps import grid_cell
from cnnattn.names import head_name
from cnnattn.render import fit_within

PAYLOAD_VERSION = 1
DISPLAY_SIDE = 768  # longer side of the photo sent for display
JPEG_QUALITY = 85


def encode_array(values: torch.Tensor | np.ndarray) -> str:
    flat = np.ascontiguousarray(np.asarray(values.detach().cpu() if torch.is_tensor(values) else values), "<f4")
    return base64.b64encode(flat.tobytes()).decode("ascii")


def decode_array(text: str, shape: list[int] | tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").reshape(shape)


def _jpeg(photo: Image.Image, max_side: int) -> tuple[str, tuple[int, int]]:
    shown = fit_within(photo, max_side)
    buffer = io.BytesIO()
    shown.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return base64.b64encode(buffer.getvalue()).decode("ascii"), shown.size


def display_photo(photo: Image.Image, max_side: int = DISPLAY_SIDE) -> Image.Image:
    """The photo exactly as the browser shows it: the payload's JPEG, decoded (downloads draw on it)."""
    return Image.open(io.BytesIO(base64.b64decode(_jpeg(photo, max_side)[0]))).convert("RGB")


def photo_entry(photo: Image.Image) -> dict:
    """A payload's "photo": the display JPEG (base64) and its size, which the maps are drawn over."""
    jpeg, (width, height) = _jpeg(photo, DISPLAY_SIDE)
    return {"jpeg": jpeg, "width": width, "height": height}


def head_payload(head: Head, encoded: Encoded, options: MapOptions, language: str = "en") -> dict:
    """One head's entry: ids, names, form, default temperature and the arrays of its map inputs."""
    inputs = head.map_inputs(encoded, options)
    entry = {
        "kind": head.kind,
        "form": str(head.form),
        "ids": [str(i) for i in head.ids()],
        "names": [head_name(head, k, language) for k in range(head.num_heads)],
        "default_temperature": head.default_temperature,
        "class_conditional": head.class_conditional,
        "layer": options.layer,
    }
    if isinstance(inputs, PositionScores):
        K, h, w = inputs.scores.shape
        return entry | {"grid": [h, w], "shape": [K, h, w], "scores": encode_array(inputs.scores.float())}
    K, n, d = inputs.queries.shape
    entry |= {"grid": list(inputs.grid), "scale": inputs.scale}
    same_keys = inputs.keys is inputs.queries or torch.equal(inputs.keys, inputs.queries)
    if n <= (1 if same_keys else 2) * d:  # the logit matrix is the smaller message
        rows = torch.einsum("kid,kjd->kij", inputs.queries, inputs.keys) * inputs.scale  # (K, n, n): every row at once
        return entry | {"encoding": "rows", "shape": [K, n, n], "rows": encode_array(rows.float())}
    entry |= {"encoding": "qk", "shape": [K, n, d], "queries": encode_array(inputs.queries.float())}
    return entry if same_keys else entry | {"keys": encode_array(inputs.keys.float())}


@torch.inference_mode()
def build_payload(
    explainer: Explainer,
    photo: Image.Image,
    encoded: Encoded,
    class_index: int | None = None,
    layer: str = FINAL,
    language: str = "en",
) -> dict:
    """The whole answer for one photo: display JPEG (`DISPLAY_SIDE`, the size the lesson's own overlays
    assume), top-5, and every head's map inputs."""
    predictions = explainer.predictions(encoded.logits, 5, language)
    class_index = predictions[0].index if class_index is None else class_index
    if not 0 <= class_index < encoded.logits.shape[-1]:
        raise ValueError(f"Class index {class_index} is outside 0..{encoded.logits.shape[-1] - 1}.")
    heads = []
    for head in explainer.heads:
        options = MapOptions(class_index, layer if head.layers else FINAL)
        heads.append(head_payload(head, encoded, options, language))
    head_predictions = {}
    for head in explainer.heads:
        logits = head.logits(encoded.features)
        if logits is not None:
            head_predictions[head.kind] = [vars(p) for p in explainer.predictions(logits, 5, language)]
    return {
        "version": PAYLOAD_VERSION,
        "photo": photo_entry(photo),
        "size": list(encoded.size),
        "predictions": [vars(p) for p in predictions],
        "calibration": explainer.calibration_text(language),
        "notes": list(explainer.photo_notes(encoded.size, language)),  # about this photo (Explore's notes)
        "class_index": class_index,
        "layer": layer,
        "heads": heads,
        "head_predictions": head_predictions,
    }


def weights_from_payload(entry: dict, index: int, temperature: float, query=(0.5, 0.5)) -> np.ndarray:
    """(h, w) weights of head `index` of one payload entry, computed as the browser computes them."""
    h, w = entry["grid"]
    if entry["form"] == str(MapForm.POSITION):
        scores = decode_array(entry["scores"], entry["shape"])[index].astype(np.float64).ravel()
        logits = scores / temperature
    else:
        cell = grid_cell(query, (h, w))
        if entry["encoding"] == "rows":
            row = decode_array(entry["rows"], entry["shape"])[index, cell].astype(np.float64)
        else:
            queries = decode_array(entry["queries"], entry["shape"])[index].astype(np.float64)
            keys = decode_array(entry["keys"], entry["shape"])[index] if "keys" in entry else queries
            row = keys.astype(np.float64) @ queries[cell] * entry["scale"]
        logits = row / temperature
    weights = np.exp(logits - logits.max())
    return (weights / weights.sum()).reshape(h, w)
