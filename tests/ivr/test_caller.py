"""The caller's data as one value: its flat record, written and read back."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ivr.caller import CallerData

texts = st.text(max_size=10)
callers = st.builds(
    CallerData, ani=st.none() | texts, customer_id=st.none() | texts, customer_code=st.none() | texts,
    tier=st.none() | texts, intent=st.none() | texts, ivr_data=st.lists(st.tuples(texts, texts), max_size=3).map(tuple),
    unidentified=st.booleans(),
)


@given(callers)
def test_a_caller_reads_back_from_its_record_through_json(caller: CallerData) -> None:
    assert CallerData.from_record(json.loads(json.dumps(caller.to_record()))) == caller


def test_an_empty_number_is_no_number() -> None:
    assert CallerData(ani="").ani is None
    assert CallerData.from_record({"ani": ""}) == CallerData()


def test_a_record_among_other_keys_reads_only_its_own_and_defaults_the_rest() -> None:
    record = {"call_id": "c1", "queue": "support", "intent": "billing", "ivr_data": [["order", "42"]]}
    assert CallerData.from_record(record) == CallerData(intent="billing", ivr_data=(("order", "42"),))
