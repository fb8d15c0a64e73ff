"""Measure the analytic path against a ground truth: the demo month, and independent seeded worlds.

``scores`` compares flags, sides and events with a truth; ``world`` generates an independent month
with the phenomena of a real mission; ``run`` puts them together (``python -m geo evaluate``).
"""

from geo.evaluation.scores import Scores, evaluate_demo, read_truth, score_against_truth

__all__ = ["Scores", "evaluate_demo", "read_truth", "score_against_truth"]
