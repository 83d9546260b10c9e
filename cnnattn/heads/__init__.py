"""Attention heads: modules that return their softmax weights over positions, and the registry of
head kinds that every view loops over (importing this package registers the built-in kinds)."""

from cnnattn.heads.base import (
    HEAD_KINDS,
    Head,
    HeadId,
    MapForm,
    MapOptions,
    PositionScores,
    QueryKeys,
    position_weights,
    query_row_dots,
    query_row_weights,
    register_head,
    registered_kinds,
    unregister_head,
)
from cnnattn.heads.checkpoints import CheckpointError
from cnnattn.heads.class_map import ClassMap
from cnnattn.heads.feature_self import FeatureSelfAttention
from cnnattn.heads.modules import ClassAttention, SelfAttention, SimpleAttention
from cnnattn.heads.self_attention import SelfAttentionHead
from cnnattn.heads.simple import SimplePooling

__all__ = [
    "HEAD_KINDS",
    "CheckpointError",
    "ClassAttention",
    "ClassMap",
    "FeatureSelfAttention",
    "Head",
    "HeadId",
    "MapForm",
    "MapOptions",
    "PositionScores",
    "QueryKeys",
    "SelfAttention",
    "SelfAttentionHead",
    "SimpleAttention",
    "SimplePooling",
    "position_weights",
    "query_row_dots",
    "query_row_weights",
    "register_head",
    "registered_kinds",
    "unregister_head",
]
