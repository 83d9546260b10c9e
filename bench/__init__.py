"""Benchmarks: `python -m bench` runs them all and writes docs/BENCHMARKS.md.

Every comparison runs side by side in one process (methods interleaved round by round, so a
noisy neighbour slows them alike) and is reported as medians and same-run ratios.
"""
