"""Attention heads: modules that return their softmax weights over positions."""

from cnnattn.heads.modules import ClassAttention, SelfAttention, SimpleAttention

__all__ = ["ClassAttention", "SelfAttention", "SimpleAttention"]
