"""The agreement's terms as tables a person reads: rules in words, their reasons' placeholders described."""

from __future__ import annotations

import dataclasses

from geo.labels import label
from geo.rules import load_agreement
from geo.rules.spec import RULE_SPECS
from geo.settings import load_settings
from geo.terms import reason_as_read, rules_table, withdrawal_table


def _agreement():
    return load_agreement(load_settings(environ={}).agreement_path)


def test_every_rule_s_reason_reads_without_a_placeholder():
    agreement = _agreement()
    rule = agreement.rules[0]
    for spec in RULE_SPECS.values():
        text = reason_as_read(
            dataclasses.replace(rule, sentence=spec.sentence, params=spec.params), agreement
        )
        assert "{" not in text and "}" not in text, (spec.code, text)


def test_what_the_agreement_fixes_is_written_in():
    agreement = _agreement()
    table = rules_table(agreement).set_index("rule")
    monitors = table.loc[label("ATTACK_ON_MONITORS", "code")]
    assert "within the 1 km protected around monitors (Minsk II, para 3)" in monitors["reason given"]
    assert monitors["reason given"].startswith("‹what was reported› reported ‹when› ‹distance› km")
    assert monitors["applies to"].endswith("Within (km): 1") and "Outgoing fire" in monitors["applies to"]
    assert table.loc[label("FLIGHT_OVER_SECURITY_ZONE", "code"), "applies to"] == (
        "Reports of: Air or drone strike; Weapons: Aircraft, Drone (UAV); Over: Security zone"
    )


def test_withdrawal_weapons_in_words():
    weapons = withdrawal_table(_agreement())["weapons"].tolist()
    assert weapons[0] == "Artillery (100 mm or more)"
    assert weapons[-1] == "Tank, Artillery (under 100 mm), Mortar"
