"""Display names in the visitor's language: heads and layers.

Ids such as "simple/0" and "blocks.4" stay in links, JSON and files; people read "SimpleAttention head 1"
or "SimpleAttention 注意力头 1". Heads are counted from 1 on screen, like grid rows and columns.
"""

from __future__ import annotations

from cnnattn.backbones import FINAL, Backbone
from cnnattn.errors import UserError
from cnnattn.heads import Head, HeadId
from cnnattn.heads.simple import TrainedHead
from cnnattn.i18n import ENGLISH, has, text


def head_name(head: Head, index: int, language: str = "en") -> str:
    """e.g. "class map", "SimpleAttention head 2" / "SimpleAttention 注意力头 2", plus a name the head's
    card gives it ("head.name.card"); kinds without an entry of their own show their id."""
    key = f"head.name.{head.kind}"
    if not has(key):
        return text("head.name.generic", language, head=str(HeadId(head.kind, index, single=head.num_heads == 1)))
    base = text(key, language, n=index + 1)
    name = _card_name(head, index, language)
    return text("head.name.card", language, base=base, name=name) if name else base


def kind_name(head: Head, language: str = "en") -> str:
    """The kind as a whole, e.g. "SimpleAttention pooling": what a card's accuracy is about."""
    key = f"head.kind.{head.kind}"
    return text(key, language) if has(key) else text("head.kind.generic", language, kind=head.kind)


def _card_name(head: Head, index: int, language: str) -> str | None:
    """A trained head's measured name from its training card, in `language`, or in English for a language
    added after the card was written (else none)."""
    card = head.card if isinstance(head, TrainedHead) else {}
    for entry in card.get("heads", []):
        name = entry.get("name") if entry.get("index") == index else None
        if isinstance(name, dict) and (found := name.get(language) or name.get(ENGLISH)):
            return str(found)
    return None


def layer_name(backbone: Backbone, layer: str, language: str = "en") -> str:
    """FINAL (or the module it is, e.g. "bn2") -> "last feature map"; an earlier stage -> "earlier stage 1,
    blocks.4" / "较早的第 1 个阶段" (stages counted from 1 in the backbone's order)."""
    if layer in backbone.stages:
        return text("layer.stage", language, n=list(backbone.stages).index(layer) + 1, layer=layer)
    if layer in (FINAL, backbone.feature_layer):
        return text("layer.final", language)
    raise UserError("error.settings.layer", value=layer, choices=", ".join(backbone.layer_names()))
