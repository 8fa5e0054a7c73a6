"""Arithmetic over probe outcomes: concept-depth metrics, per-sample outcomes, paired comparisons
(McNemar, Holm, bootstrap intervals, depth shifts), and a bit width's fidelity to float32."""
