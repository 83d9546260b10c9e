"""Classroom mode: the attention maths step by step (steps), what a lesson shows (view), its drawings (render)."""
