"""Read an agreement file (TOML) into frozen dataclasses, refusing anything unknown or malformed."""

from __future__ import annotations

import difflib
import string
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.rules.spec import (
    COMMON_PLACEHOLDERS,
    KM_PARAMS,
    MINUTE_PARAMS,
    NOTIFIED_ACTIVITIES,
    PHRASE_PARAMS,
    RULE_SPECS,
    SEVERITIES,
    TYPE_PARAMS,
    WEAPON_PARAMS,
    WIDTH_APPLIES,
    ZONE_KIND_PARAMS,
    ZONE_KINDS,
)
from geo.schema import INCIDENT_TYPES, WEAPON_CLASSES


class AgreementError(InputError):
    """An agreement file cannot be used: the message names the file, the key path and the bad value."""


@dataclass(frozen=True)
class Withdrawal:
    """Weapon classes that must be kept a distance from a reference line, per side.

    ``width_km`` is the zone's whole width when ``width_applies`` is ``total`` (the zone straddles the
    line, half on each side) and each side's depth when it is ``per_side``. ``reference`` maps each
    side code to a line version label or ``in_force``.
    """

    key: str
    weapons: tuple[str, ...]
    label: str
    width_km: float
    width_applies: str
    reference: dict[str, str]
    clause: str
    complete_by: pd.Timestamp

    @property
    def side_width_km(self) -> float:
        """How far from its reference line each side must keep the weapons, in kilometres."""
        return self.width_km / 2 if self.width_applies == "total" else self.width_km

    @property
    def total_width_km(self) -> float:
        """The width of the zone both sides keep clear together, in kilometres."""
        return self.width_km if self.width_applies == "total" else 2 * self.width_km


@dataclass(frozen=True)
class Notification:
    """A party's advance notice of an activity that makes explosions or fire lawful: where and when.

    The activity is a circle of ``radius_m`` about (``lon``, ``lat``) from ``start`` to ``end`` (UTC).
    """

    id: str
    party: str
    activity: str
    lon: float
    lat: float
    radius_m: float
    start: pd.Timestamp
    end: pd.Timestamp
    reference: str


@dataclass(frozen=True)
class Rule:
    """One reason code: its severity, weight for the score, sentence, parameters and effect.

    ``effect`` is ``breach`` for a prohibited act, ``mitigate`` for evidence of a lawful activity
    and ``cap`` for a doubt that keeps an event at most 'possible' (geo.rules.spec.EFFECTS).
    """

    code: str
    severity: str
    weight: float
    sentence: str
    clause: str
    params: dict[str, Any]
    effect: str = "breach"


@dataclass(frozen=True)
class Agreement:
    """A ceasefire agreement's terms as read from its file."""

    name: str
    short_name: str
    effective_at: pd.Timestamp
    sides: dict[str, str]
    withdrawal: tuple[Withdrawal, ...]
    rules: tuple[Rule, ...]
    source: str
    path: Path
    notifications: tuple[Notification, ...] = ()

    def rule(self, code: str) -> Rule | None:
        """Return the rule with ``code``, or None when the agreement does not prohibit that act."""
        return next((r for r in self.rules if r.code == code), None)

    def withdrawal_for(self, weapon: str) -> Withdrawal | None:
        """Return the withdrawal that covers a weapon class, or None."""
        return next((w for w in self.withdrawal if weapon in w.weapons), None)


def _suggest(value: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.5)
    return f"Did you mean {close[0]!r}? " if close else ""


class _Reader:
    """Validates one file's parsed TOML, raising with the file and key path on the first problem."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str, fix: str) -> None:
        msg = f"Agreement file {self.path}: {key} {problem}"
        raise AgreementError(msg, hint=fix)

    def table(self, data: Any, key: str, *, required: set[str], optional: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail(key, f"is {data!r}, not a table.", f"Write it as a [{key}] table.")
        known = required | optional
        for name in data:
            if name not in known:
                where = f"{key}.{name}" if key else name
                self.fail(
                    where,
                    "is not a known key.",
                    f"{_suggest(name, known)}Known keys here: {', '.join(sorted(known))}.",
                )
        for name in sorted(required - set(data)):
            where = f"{key}.{name}" if key else name
            self.fail(where, "is missing.", "Add it; docs/AGREEMENT.md describes every key.")
        return data

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"is {value!r}, not a non-empty string.", 'Write it in quotes, e.g. "para 2".')
        return value.strip()

    def number(self, value: Any, key: str, *, low: float, high: float | None = None) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= low
        if ok and high is not None:
            ok = value <= high
        if not ok:
            bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            self.fail(key, f"is {value!r}, not a number {bounds}.", f"Give a number {bounds}.")
        return float(value)

    def choice(self, value: Any, key: str, choices: Any, *, what: str) -> str:
        if value not in choices:
            self.fail(
                key,
                f"is {value!r}, not a known {what}.",
                f"{_suggest(value, choices)}Use one of: {', '.join(map(str, choices))}.",
            )
        return value

    def choices(self, value: Any, key: str, choices: Any, *, what: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail(
                key, f"is {value!r}, not a list.", f'Write a list of {what}s, e.g. ["{next(iter(choices))}"].'
            )
        return tuple(self.choice(v, f"{key}[{i}]", choices, what=what) for i, v in enumerate(value))

    def time(self, value: Any, key: str) -> pd.Timestamp:
        fix = "Write an ISO 8601 time with its UTC offset, e.g. 2026-10-03T00:00:00Z."
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                self.fail(key, f"is {value!r}, not an ISO 8601 time.", fix)
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                self.fail(key, f"is {value.isoformat()}, which has no UTC offset.", fix)
            return pd.Timestamp(value).tz_convert("UTC")
        if isinstance(value, date):
            self.fail(key, f"is the date {value.isoformat()}, not a time.", fix)
        self.fail(key, f"is {value!r}, not a time.", fix)
        raise AssertionError  # unreachable: fail() raises

    def sentence(self, value: Any, key: str, allowed: frozenset[str]) -> str:
        text = self.text(value, key)
        try:
            fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name is not None]
        except ValueError as exc:
            self.fail(
                key,
                f"is not a valid template ({exc}).",
                "Write braces as {{ and }} unless they hold a placeholder.",
            )
        for name, spec in fields:
            if name not in allowed:
                self.fail(
                    key,
                    f"uses the placeholder {{{name}}}, which this rule does not fill.",
                    f"{_suggest(name, allowed)}Placeholders here: {', '.join(sorted(allowed))}.",
                )
            if spec:
                self.fail(
                    key,
                    f"formats {{{name}:{spec}}}, but placeholders are text, already formatted.",
                    f"Write {{{name}}}.",
                )
        return text


def _withdrawal(
    r: _Reader, key: str, data: Any, sides: dict[str, str], effective_at: pd.Timestamp
) -> Withdrawal:
    where = f"withdrawal.{key}"
    data = r.table(
        data,
        where,
        required={"width_km", "width_applies", "reference", "clause"},
        optional={"weapons", "label", "complete_by"},
    )
    if "weapons" in data:
        weapons = r.choices(data["weapons"], f"{where}.weapons", tuple(WEAPON_CLASSES), what="weapon class")
        if not weapons:
            r.fail(f"{where}.weapons", "is empty.", "List at least one weapon class.")
    else:
        weapons = (r.choice(key, where, tuple(WEAPON_CLASSES), what="weapon class"),)
    width = r.number(data["width_km"], f"{where}.width_km", low=0)
    if width == 0:
        r.fail(f"{where}.width_km", "is 0.", "Give the zone width in kilometres, e.g. width_km = 50.")
    applies = r.choice(data["width_applies"], f"{where}.width_applies", WIDTH_APPLIES, what="width rule")
    reference = r.table(data["reference"], f"{where}.reference", required=set(sides), optional=set())
    for side, label in reference.items():
        r.text(label, f"{where}.reference.{side}")
    complete_by = effective_at
    if "complete_by" in data:
        complete_by = r.time(data["complete_by"], f"{where}.complete_by")
        if complete_by < effective_at:
            r.fail(f"{where}.complete_by", "is before agreement.effective_at.", "Give a time at or after it.")
    label = r.text(data["label"], f"{where}.label") if "label" in data else WEAPON_CLASSES[weapons[0]]
    return Withdrawal(
        key=key,
        weapons=weapons,
        label=label,
        width_km=width,
        width_applies=applies,
        reference={s: v.strip() for s, v in reference.items()},
        clause=r.text(data["clause"], f"{where}.clause"),
        complete_by=complete_by,
    )


def _rule(r: _Reader, code: str, data: Any) -> Rule:
    where = f"rules.{code}"
    spec = RULE_SPECS[code]
    data = r.table(
        data, where, required={"severity", "weight", "clause"}, optional={"sentence", *spec.params}
    )
    params: dict[str, Any] = dict(spec.params)
    for name, value in data.items():
        key = f"{where}.{name}"
        if name in TYPE_PARAMS:
            params[name] = r.choices(value, key, INCIDENT_TYPES, what="incident type")
        elif name in WEAPON_PARAMS:
            params[name] = r.choices(value, key, tuple(WEAPON_CLASSES), what="weapon class")
        elif name in ZONE_KIND_PARAMS:
            params[name] = r.choices(value, key, ZONE_KINDS, what="zone kind")
        elif name in KM_PARAMS or name in MINUTE_PARAMS:
            params[name] = r.number(value, key, low=0)
        elif name in PHRASE_PARAMS:
            if not isinstance(value, list) or not value:
                r.fail(key, f"is {value!r}, not a list of phrases.", 'Write e.g. ["controlled detonation"].')
            params[name] = tuple(r.text(v, f"{key}[{i}]").lower() for i, v in enumerate(value))
    sentence = data.get("sentence", spec.sentence)
    return Rule(
        code=code,
        severity=r.choice(data["severity"], f"{where}.severity", SEVERITIES, what="severity"),
        weight=r.number(data["weight"], f"{where}.weight", low=0, high=1),
        sentence=r.sentence(sentence, f"{where}.sentence", COMMON_PLACEHOLDERS | spec.placeholders),
        clause=r.text(data["clause"], f"{where}.clause"),
        params=params,
        effect=spec.effect,
    )


def _notification(r: _Reader, i: int, data: Any, sides: dict[str, str]) -> Notification:
    where = f"notifications[{i}]"
    data = r.table(
        data,
        where,
        required={"id", "party", "activity", "lon", "lat", "radius_m", "start", "end"},
        optional={"reference"},
    )
    start, end = r.time(data["start"], f"{where}.start"), r.time(data["end"], f"{where}.end")
    if end <= start:
        r.fail(f"{where}.end", f"is {end.isoformat()}, not after its start.", "Give an end after the start.")
    radius = r.number(data["radius_m"], f"{where}.radius_m", low=0)
    if radius == 0:
        r.fail(f"{where}.radius_m", "is 0.", "Give the radius of the notified area in metres, e.g. 1500.")
    return Notification(
        id=r.text(data["id"], f"{where}.id"),
        party=r.choice(data["party"], f"{where}.party", tuple(sides), what="side code"),
        activity=r.choice(data["activity"], f"{where}.activity", NOTIFIED_ACTIVITIES, what="activity"),
        lon=r.number(data["lon"], f"{where}.lon", low=-180, high=180),
        lat=r.number(data["lat"], f"{where}.lat", low=-90, high=90),
        radius_m=radius,
        start=start,
        end=end,
        reference=r.text(data["reference"], f"{where}.reference") if "reference" in data else "",
    )


def _implicit_rules(r: _Reader, given: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """The mitigations and the cap every agreement has, at their defaults unless the file sets them."""
    have = {rule.code for rule in given}
    added = tuple(
        _rule(r, code, dict(spec.default))
        for code, spec in RULE_SPECS.items()
        if spec.default is not None and code not in have
    )
    return given + added


def parse_agreement(text: str, *, path: Path) -> Agreement:
    """Return the agreement written in ``text`` (TOML); ``path`` names it in errors.

    Raises
    ------
    AgreementError
        Naming the file, the key path, the bad value and the fix.
    """
    r = _Reader(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"Agreement file {path} is not valid TOML: {exc}."
        raise AgreementError(msg, hint="Fix the syntax; docs/AGREEMENT.md shows a complete file.") from None
    r.table(doc, "", required={"agreement", "sides", "rules"}, optional={"withdrawal", "notifications"})
    head = r.table(
        doc["agreement"], "agreement", required={"name", "effective_at"}, optional={"short_name", "source"}
    )
    effective_at = r.time(head["effective_at"], "agreement.effective_at")
    sides_doc = r.table(doc["sides"], "sides", required=set(), optional=set(doc["sides"]))
    sides = {}
    for code, body in sides_doc.items():
        if not (code.isascii() and code.isupper() and code.isalpha()):
            r.fail(
                f"sides.{code}",
                "is not a side code.",
                "Use upper-case letters as in the control areas (UA, RU).",
            )
        sides[code] = r.text(
            r.table(body, f"sides.{code}", required={"label"}, optional=set())["label"], f"sides.{code}.label"
        )
    if len(sides) < 2:
        r.fail(
            "sides",
            f"names {len(sides)} side(s).",
            "Declare each party, e.g. [sides.UA] and [sides.RU] with a label.",
        )
    withdrawal = tuple(
        _withdrawal(r, key, body, sides, effective_at)
        for key, body in r.table(
            doc.get("withdrawal", {}), "withdrawal", required=set(), optional=set(doc.get("withdrawal", {}))
        ).items()
    )
    seen: dict[str, str] = {}
    for w in withdrawal:
        for weapon in w.weapons:
            if weapon in seen:
                r.fail(
                    f"withdrawal.{w.key}.weapons",
                    f"lists {weapon!r}, which withdrawal.{seen[weapon]} already covers.",
                    "Give each weapon class one withdrawal distance.",
                )
            seen[weapon] = w.key
    rules_doc = r.table(doc["rules"], "rules", required=set(), optional=set(RULE_SPECS))
    rules = tuple(_rule(r, code, body) for code, body in rules_doc.items())
    if not any(rule.effect == "breach" for rule in rules):
        breaches = [code for code, spec in RULE_SPECS.items() if spec.effect == "breach"]
        r.fail("rules", "names no prohibited act.", f"Add at least one rule: {', '.join(breaches)}.")
    rules = _implicit_rules(r, rules)
    notices = doc.get("notifications", [])
    if not isinstance(notices, list):
        r.fail("notifications", "is a table, not a list.", "Write each notice as a [[notifications]] table.")
    notifications = tuple(_notification(r, i, body, sides) for i, body in enumerate(notices))
    ids = [n.id for n in notifications]
    if len(set(ids)) != len(ids):
        dup = next(x for x in ids if ids.count(x) > 1)
        r.fail("notifications", f"has the id {dup!r} twice.", "Give every notice its own id.")
    if any(rule.code == "HEAVY_WEAPON_IN_ZONE" for rule in rules) and not withdrawal:
        r.fail(
            "rules.HEAVY_WEAPON_IN_ZONE",
            "needs withdrawal zones, but there is no [withdrawal.*] table.",
            "Add one.",
        )
    name = r.text(head["name"], "agreement.name")
    return Agreement(
        name=name,
        short_name=r.text(head["short_name"], "agreement.short_name") if "short_name" in head else name,
        effective_at=effective_at,
        sides=sides,
        withdrawal=withdrawal,
        rules=rules,
        source=r.text(head["source"], "agreement.source") if "source" in head else "",
        path=path,
        notifications=notifications,
    )


def load_agreement(path: str | Path) -> Agreement:
    """Read and validate an agreement file.

    Parameters
    ----------
    path
        A TOML file; docs/AGREEMENT.md describes the format.

    Raises
    ------
    AgreementError
        When the file is missing, is not TOML, or any key is unknown, missing or malformed.
    """
    path = Path(path)
    if path.suffix.lower() != ".toml":
        msg = f"Agreement file {path} is not a .toml file."
        raise AgreementError(msg, hint="Write the agreement in TOML; docs/AGREEMENT.md shows the format.")
    if not path.is_file():
        msg = f"No agreement file at {path}."
        raise AgreementError(msg, hint="Check the path, or the agreement_path setting (CM_AGREEMENT_PATH).")
    return parse_agreement(path.read_text(encoding="utf-8"), path=path)
