"""The agreement in force as the Zones page shows it: its terms, withdrawal zones and rules."""

import streamlit as st

from geo.labels import label
from geo.rules import load_agreement
from geo.terms import rules_table, unrestricted_weapons, withdrawal_table
from ui import data
from ui.text import headings, md_escape


def show_agreement() -> None:
    """The agreement file in force: name, effective time, source, withdrawal distances and rules."""
    agreement = load_agreement(data.settings().agreement_path)
    # The agreement file is the operator's, but its words are shown as written all the same.
    st.subheader(f"Agreement in force: {md_escape(agreement.short_name)}")
    st.markdown(f"**{md_escape(agreement.name)}**")
    st.caption(f"In effect from {agreement.effective_at:%Y-%m-%d %H:%M} UTC · {md_escape(agreement.source)}")
    st.markdown("**Withdrawal zones per weapon class**")
    withdrawal = withdrawal_table(agreement)
    st.dataframe(withdrawal, hide_index=True, width="stretch", column_config=headings(withdrawal))
    free = unrestricted_weapons(agreement)
    if free:
        st.caption(
            f"No withdrawal distance for {md_escape(', '.join(label(w, 'weapon') for w in free))}:"
            " their fire is judged by the rules below."
        )
    st.markdown("**Rules: what counts as a violation**")
    st.caption(
        "Each rule's reason as a report gets it: what the agreement fixes is written in, what each"
        " report fills is named between ‹ ›."
    )
    rules = rules_table(agreement)
    st.dataframe(rules, hide_index=True, width="stretch", column_config=headings(rules))
