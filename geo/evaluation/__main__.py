"""``python -m geo.evaluation``: the demo month's figures as a Markdown table."""

from geo.evaluation.scores import evaluate_demo

print(evaluate_demo().as_table())
