"""Agreement rules: the ceasefire's terms read from a file, its withdrawal zones and the reasons reports breach it."""

from geo.rules.agreement import Agreement, AgreementError, Rule, Withdrawal, load_agreement, parse_agreement
from geo.rules.evaluate import REASON_COLUMNS, SCORED_COLUMNS, evaluate
from geo.rules.spec import RULE_SPECS, SEVERITIES
from geo.rules.zones import ZONE_COLUMNS, withdrawal_zones

__all__ = [
    "REASON_COLUMNS",
    "RULE_SPECS",
    "SCORED_COLUMNS",
    "SEVERITIES",
    "ZONE_COLUMNS",
    "Agreement",
    "AgreementError",
    "Rule",
    "Withdrawal",
    "evaluate",
    "load_agreement",
    "parse_agreement",
    "withdrawal_zones",
]
