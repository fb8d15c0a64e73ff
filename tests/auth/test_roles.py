"""Roles: each action's least role, and a refusal naming the role needed and the user's."""

from __future__ import annotations

import pytest

from geo.auth import ACTIONS, NotAllowed, Role, User, allowed, require
from geo.errors import GeoError


def test_roles_are_ordered_and_each_may_do_what_those_below_may():
    assert Role.viewer < Role.analyst < Role.admin
    may = {role: {a for a in ACTIONS if allowed(User("x", role), a)} for role in Role}
    assert may[Role.viewer] == {"read", "export"}
    assert may[Role.analyst] == may[Role.viewer] | {"upload", "annotate", "draft_zone"}
    assert may[Role.admin] == set(ACTIONS)


def test_a_refusal_names_the_role_needed_and_the_users():
    with pytest.raises(NotAllowed, match="ann is an analyst; publish line needs an admin") as caught:
        require(User("ann", Role.analyst), "publish_line")
    assert isinstance(caught.value, GeoError) and "set-role" in caught.value.hint
    with pytest.raises(NotAllowed, match="vic is a viewer; upload needs an analyst"):
        require(User("vic", Role.viewer), "upload")
    require(User("boss", Role.admin), "retract")


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown action 'delete'"):
        allowed(User("boss", Role.admin), "delete")
