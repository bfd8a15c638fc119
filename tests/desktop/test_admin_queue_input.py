"""Whatever an admin's client sends as a queue change, the queue reader either names the wrong field or
gives a queue that reads back unchanged from what the API shows (so what is shown, stored and routed agree)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from acd.config import QueueConfig
from agent_desktop.admin_queues import EDITABLE_QUEUE_FIELDS, queue_fields, read_queue
from agent_desktop.text_input import InvalidText

QUEUES = ["support", "sales"]
SKILLS = ["billing", "english"]
CURRENT = QueueConfig("support", dispositions=("resolved",))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 100_000) | st.floats(-10, 1e5, allow_nan=False)
    | st.sampled_from(["", "mon-fri", "08:00", "18:00", "UTC", "Europe/Berlin", "sales", "billing", "Bad Code"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["percent", "seconds", "longest_wait", "service_level", "after", "overflow", "lower",
                         "drop", "days", "open", "close", "billing"]), inner, max_size=4),
    max_leaves=12,
)
bodies = st.dictionaries(st.sampled_from(EDITABLE_QUEUE_FIELDS), json_values, max_size=5)


@settings(max_examples=400, deadline=None)
@given(bodies)
def test_a_queue_change_is_refused_by_field_or_reads_back_unchanged(body: dict[str, Any]) -> None:
    try:
        config, entry = read_queue(body, CURRENT, QUEUES, SKILLS)
    except InvalidText as exc:
        assert exc.field.split(".")[0] in EDITABLE_QUEUE_FIELDS
        return
    assert entry == queue_fields(config)
    again, _ = read_queue({k: v for k, v in entry.items() if k in EDITABLE_QUEUE_FIELDS}, CURRENT, QUEUES, SKILLS)
    assert again == config
