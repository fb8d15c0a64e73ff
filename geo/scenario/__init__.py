"""The scenario: the geography reports are measured against, in one package.

- :mod:`geo.scenario.loading`: the four scenario files (contact line versions, control areas, zones,
  observation posts) read and checked into a :class:`Scenario`, and the fit of a partial override;
- :mod:`geo.scenario.versions`: which version is in force at a time;
- :mod:`geo.scenario.sectors`: named stretches of the line, and each report's sector;
- :mod:`geo.scenario.edits`: the users' line versions and zones, kept beside a store;
- :mod:`geo.scenario.line_change`: what a new line version moves from one side to the other.

"Which scenario is this?" has one answer: a :class:`Scenario` built by :func:`load_scenario` from a
folder laid out as ``data/scenario`` (the committed one, a store's edited copy, or ``--scenario DIR``).
"""

from geo.scenario.loading import FILES, SIDES, ZONE_KINDS, Scenario, check_fit, load_scenario

__all__ = ["FILES", "SIDES", "ZONE_KINDS", "Scenario", "check_fit", "load_scenario"]
