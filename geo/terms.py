"""The agreement in force as tables a reader can scan: withdrawal distances per weapon class and the rules."""

from __future__ import annotations

import string

import pandas as pd

from geo.labels import PLACEHOLDER_WORDS, label
from geo.rules.agreement import Agreement, Rule
from geo.rules.spec import KM_PARAMS, ZONE_KIND_PARAMS
from geo.schema import WEAPON_CLASSES


def withdrawal_table(agreement: Agreement) -> pd.DataFrame:
    """One row per withdrawal: weapons, the zone's width and each side's distance, reference lines, deadline."""
    rows = [
        {
            "withdrawal": w.label,
            "weapons": ", ".join(label(c, "weapon") for c in w.weapons),
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


class _Described(dict):
    """Placeholders a report fills, as words between angle quotes: "‹when›"."""

    def __missing__(self, key: str) -> str:
        return f"‹{PLACEHOLDER_WORDS.get(key, key.replace('_', ' '))}›"


def reason_as_read(rule: Rule, agreement: Agreement) -> str:
    """A rule's sentence as a reader meets it: what the agreement fixes filled in (its name, clause,
    effective time, the rule's distances), what each report fills described in words.

    Examples
    --------
    "‹what was reported› reported ‹when›, ‹where, from the contact line›, after the ceasefire took
    effect on 2026-10-03 at 00:00 UTC (Minsk II, para 1)."
    """
    known = _Described(
        agreement=agreement.name,
        short_name=agreement.short_name,
        effective_at=agreement.effective_at.strftime("%Y-%m-%d at %H:%M UTC"),
        clause=rule.clause,
    )
    for key in KM_PARAMS:
        if rule.params.get(key) is not None:
            known[key] = f"{rule.params[key]:g}"
    fields = [name for _, name, _, _ in string.Formatter().parse(rule.sentence) if name]
    return rule.sentence.format_map(known) if fields else rule.sentence


def _applies_to(rule: Rule) -> str:
    """A rule's parameters in words: "Reports of: Impact, Outgoing fire; Within (km): 1"."""
    parts = []
    for key, value in rule.params.items():
        if value is None or (isinstance(value, tuple | list) and not value):
            continue
        vocabulary = {"types": "type", "origin_types": "type", "weapons": "weapon"}.get(key)
        vocabulary = "zone_kind" if key in ZONE_KIND_PARAMS else vocabulary
        if isinstance(value, tuple | list):
            text = ", ".join(label(v, vocabulary) if vocabulary else f"“{v}”" for v in value)
        else:
            text = f"{value:g}" if isinstance(value, int | float) else str(value)
        parts.append(f"{label(key, 'rule_param')}: {text}")
    return "; ".join(parts)


def rules_table(agreement: Agreement) -> pd.DataFrame:
    """One row per rule as a person reads it: its name, effect, severity, weight in the score, what
    it applies to, the reason it gives (placeholders in words, :func:`reason_as_read`) and its clause."""
    rows = [
        {
            "rule": label(r.code, "code"),
            "effect": label(r.effect, "effect"),
            "severity": label(r.severity, "severity"),
            "weight": r.weight,
            "applies to": _applies_to(r),
            "reason given": reason_as_read(r, agreement),
            "clause": r.clause,
        }
        for r in agreement.rules
    ]
    return pd.DataFrame(rows)


def unrestricted_weapons(agreement: Agreement) -> list[str]:
    """The weapon classes no withdrawal covers (fire by them is judged by the rules alone)."""
    covered = {w for item in agreement.withdrawal for w in item.weapons}
    return [w for w in WEAPON_CLASSES if w not in covered and w != "unknown"]
