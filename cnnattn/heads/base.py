r"""One interface for every attention head, and the registry of head kinds.

A head kind is one module: a `Head` subclass registered with `@register_head`. It says how to get
its map inputs from the backbone's features in one of two fixed forms, so every view (the
explanation, the CLI's JSON, the app, the lesson) can draw any registered head without code of
its own:

- **position** form: score grids :math:`s_k` (K, h, w); head k's weights are
  :math:`a_k = \mathrm{softmax}_p(s_k(p) / T)` over all positions p.
- **query_row** form: queries and keys per head (K, h*w, d) and a scale; head k's row for query
  cell i is :math:`a_{k,i} = \mathrm{softmax}_j(q_{k,i} \cdot k_{k,j} \cdot \mathrm{scale} / T)`.

Both turn into weights in exactly one place each (`position_weights`, `query_row_weights`), and
every weight map is a softmax over positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:  # annotations only: the heads import without timm (`cnnattn explain --help`)
    from cnnattn.backbones import Backbone, Encoded


class MapForm(StrEnum):
    POSITION = "position"  # score grids -> one softmax over positions per head
    QUERY_ROW = "query_row"  # queries and keys -> one softmax row per query cell and head


@dataclass(frozen=True, order=True)
class HeadId:
    """Which map: a registered kind and the 0-based number of one of its heads."""

    kind: str  # registry key, e.g. "simple"
    index: int = 0  # head number within the kind
    single: bool = field(default=False, compare=False)  # the kind has one head: written as its kind alone

    def __str__(self) -> str:
        return self.kind if self.single else f"{self.kind}/{self.index}"

    @classmethod
    def parse(cls, text: str) -> HeadId:
        """Read 'kind/index' (or a bare 'kind', meaning head 0) at a boundary: CLI, link, API."""
        kind, _, number = text.partition("/")
        if kind not in HEAD_KINDS:
            raise ValueError(f"Unknown head {text!r}; registered kinds: {', '.join(HEAD_KINDS)}.")
        if number and not number.isdigit():
            raise ValueError(f"Head {text!r} must look like kind/number, e.g. {kind}/0.")
        return cls(kind, int(number or 0))


@dataclass(frozen=True)
class MapOptions:
    """Settings that change a head's map inputs (temperature and query only change the softmax)."""

    class_index: int  # the class a class-conditional head scores (default: the top-1 prediction)
    layer: str = "final"  # backbone layer, for heads that can run on earlier stages


@dataclass(frozen=True)
class PositionScores:
    scores: torch.Tensor  # (K, h, w) pre-softmax scores, one grid per head


@dataclass(frozen=True)
class QueryKeys:
    queries: torch.Tensor  # (K, h*w, d)
    keys: torch.Tensor  # (K, h*w, d)
    scale: float  # multiplies q . k before the softmax: 1/sqrt(d_k)
    grid: tuple[int, int]  # (h, w) of the positions
    values: torch.Tensor | None = None  # (K, h*w, d_v) what the rows mix (the lesson's last step)


MapInputs = PositionScores | QueryKeys


def position_weights(inputs: PositionScores, temperature: float) -> torch.Tensor:
    """(K, h, w) weights, each grid a softmax over its positions."""
    K, h, w = inputs.scores.shape
    return F.softmax(inputs.scores.flatten(1) / temperature, dim=-1).view(K, h, w)


def query_row_dots(inputs: QueryKeys, cell: int) -> torch.Tensor:
    """(K, h*w) unscaled dot products q_i . k_j of query cell i with every cell j."""
    return torch.einsum("kd,kjd->kj", inputs.queries[:, cell], inputs.keys)


def query_row_weights(inputs: QueryKeys, cell: int, temperature: float) -> torch.Tensor:
    """(K, h, w) row i of every head: softmax_j(q_i . k_j * scale / T)."""
    h, w = inputs.grid
    scaled = query_row_dots(inputs, cell) * inputs.scale  # (K, h*w)
    return F.softmax(scaled / temperature, dim=-1).view(-1, h, w)


class Head(nn.Module):
    """A registered head bound to a backbone. Subclasses set the class attributes and implement
    `map_inputs`; trained kinds derive from `cnnattn.heads.simple.TrainedHead`, which loads them from
    a checkpoint and carries the hooks `cnnattn train` uses."""

    kind: ClassVar[str]  # registry key; also the checkpoint file suffix of trained kinds
    form: ClassVar[MapForm]
    trained: ClassVar[bool] = False  # True: loads weights from a checkpoint and `cnnattn train` fits it
    default_temperature: ClassVar[float] = 1.0
    temperature_range: ClassVar[tuple[float, float, float]] = (0.1, 5.0, 0.1)  # (low, high, step) of its T slider
    layers: ClassVar[bool] = False  # True: can run on earlier backbone stages (MapOptions.layer)
    class_conditional: ClassVar[bool] = False  # True: its map depends on MapOptions.class_index
    order: ClassVar[int] = 100  # position among the kinds in every view (built-ins 0-30)

    def __init__(self, backbone: Backbone, num_heads: int):
        super().__init__()
        self._backbone = (backbone,)  # a tuple keeps the shared backbone out of this module's parameters
        self.num_heads = num_heads

    @property
    def backbone(self) -> Backbone:
        return self._backbone[0]

    @classmethod
    def create(cls, backbone: Backbone, checkpoint_dir: Path) -> Head:
        """Build this kind for a backbone; raise `CheckpointError` (one sentence) when it cannot."""
        return cls(backbone)

    def ids(self) -> list[HeadId]:
        return [HeadId(self.kind, k, single=self.num_heads == 1) for k in range(self.num_heads)]

    def map_inputs(self, encoded: Encoded, options: MapOptions) -> MapInputs:
        """What the weights are computed from, for one image: its encoding by the backbone (final
        features (1, C, h, w), logits and the earlier stages that `options.layer` may name)."""
        raise NotImplementedError

    def logits(self, features: torch.Tensor, temperature: float = 1.0) -> torch.Tensor | None:
        """The head's own class logits (B, classes) when it feeds the classifier, else None."""
        return None

    def randomised(self, seed: int) -> Head:
        """A copy whose learned scoring weights are noise of the same scale (sanity check)."""
        raise NotImplementedError


HEAD_KINDS: dict[str, type[Head]] = {}


def register_head(cls: type[Head]) -> type[Head]:
    """Class decorator: add a head kind to the registry (later registrations replace earlier ones)."""
    HEAD_KINDS[cls.kind] = cls
    return cls


def unregister_head(kind: str) -> None:
    HEAD_KINDS.pop(kind, None)


def registered_kinds() -> list[type[Head]]:
    """Every registered kind in display order."""
    return sorted(HEAD_KINDS.values(), key=lambda kind: kind.order)


def random_like(tensor: torch.Tensor, seed: int) -> torch.Tensor:
    """Gaussian noise with the tensor's mean and spread: weights with the same scale but no training."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(tensor.shape, generator=generator, dtype=torch.float32)
    std = tensor.float().std() if tensor.numel() > 1 else tensor.float().abs()
    return (noise * std + tensor.float().mean()).to(tensor)


def with_random_weights(module: nn.Module, names: list[str], seed: int) -> nn.Module:
    """A deep copy of `module` whose named parameters are replaced by `random_like` noise."""
    import copy

    clone = copy.deepcopy(module)
    with torch.no_grad():
        for name in names:
            parameter = clone.get_parameter(name)
            parameter.copy_(random_like(parameter, seed))
    return clone
