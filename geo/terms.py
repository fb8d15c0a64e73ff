"""The agreement in force as tables a reader can scan: withdrawal distances per weapon class and the rules."""

from __future__ import annotations

import json

import pandas as pd

from geo.rules.agreement import Agreement
from geo.schema import WEAPON_CLASSES


def withdrawal_table(agreement: Agreement) -> pd.DataFrame:
    """One row per withdrawal: weapons, the zone's width and each side's distance, reference lines, deadline."""
    rows = [
        {
            "withdrawal": w.label,
            "weapons": ", ".join(w.weapons),
            "zone width (km)": w.total_width_km,
            "each side keeps back (km)": w.side_width_km,
            "measured from": "; ".join(
                f"{agreement.sides.get(side, side)}: {'the line in force' if ref == 'in_force' else f'line {ref}'}"
                for side, ref in w.reference.items()
            ),
            "complete by (UTC)": w.complete_by,
            "clause": w.clause,
        }
        for w in agreement.withdrawal
    ]
    return pd.DataFrame(rows)


def rules_table(agreement: Agreement) -> pd.DataFrame:
    """One row per prohibited act: code, severity, weight in the score, what it says, clause, parameters."""
    rows = [
        {
            "code": r.code,
            "severity": r.severity,
            "weight": r.weight,
            "reason given (template)": r.sentence,
            "clause": r.clause,
            "parameters": json.dumps(r.params, ensure_ascii=False, default=str) if r.params else "",
        }
        for r in agreement.rules
    ]
    return pd.DataFrame(rows)


def unrestricted_weapons(agreement: Agreement) -> list[str]:
    """The weapon classes no withdrawal covers (fire by them is judged by the rules alone)."""
    covered = {w for item in agreement.withdrawal for w in item.weapons}
    return [w for w in WEAPON_CLASSES if w not in covered and w != "unknown"]
