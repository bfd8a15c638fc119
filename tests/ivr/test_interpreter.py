"""The IVR interpreter, driven directly with scripted caller behaviour over the shipped main flow."""

from __future__ import annotations

import copy
from collections.abc import Iterable

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.codes import make_customer_code
from ivr.actions import DONE, HUNG_UP, NO_INPUT, Action, Collect, Digits, Finish, InputResult, Play, Say
from ivr.directory import (
    CustomerByAni,
    CustomerByCode,
    CustomerRecord,
    FoundCustomer,
    FoundTicket,
    InMemoryDirectory,
    LookUp,
    OpenTicket,
    TicketStatus,
    look_up,
)
from ivr.flow import Flow
from ivr.interpreter import IvrSession, SessionOver, UnexpectedResult
from ivr.loader import FLOWS_DIR, load_builtin_flow, parse_flow
from ivr.outcome import IvrOutcome, OutcomeKind

ADA = CustomerRecord(id="cust-1", code=make_customer_code(10000), name="Ada Lovelace", tier="vip")
BOB = CustomerRecord(id="cust-2", code=make_customer_code(12345), name="Bob Small", tier="small", language="fr")
MAIN = load_builtin_flow("main")


def directory() -> InMemoryDirectory:
    return InMemoryDirectory(
        [ADA, BOB],
        phones={"+1 555 1234": "cust-2"},
        tickets={"cust-1": TicketStatus(ticket_id="4711", status="in_progress")},
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 0.5
        return self.now


def session(ani: str = "5550000", flow: Flow = MAIN) -> IvrSession:
    return IvrSession(flow, call_id="call-1", ani=ani, dnis="5551000", clock=Clock())


def answered(sess: IvrSession, action: Action) -> Action:
    """Answer look-ups from :func:`directory` (as the runner does) until the session asks the caller."""
    while isinstance(action, LookUp):
        action = sess.feed(look_up(directory(), action))
    return action


def feed(sess: IvrSession, result: InputResult) -> Action:
    return answered(sess, sess.feed(result))


def start(sess: IvrSession) -> Action:
    return answered(sess, sess.start())


def run(sess: IvrSession, keyed: Iterable[InputResult | str]) -> tuple[IvrOutcome, list[object]]:
    """Answer every Collect with the next scripted input (digits as str), every play with DONE."""
    return run_on(sess, start(sess), keyed)


def run_on(
    sess: IvrSession, action: Action, keyed: Iterable[InputResult | str]
) -> tuple[IvrOutcome, list[object]]:
    """:func:`run` from ``action``, the one the started session asks for now."""
    script = list(keyed)
    actions: list[object] = []
    for _ in range(500):
        actions.append(action)
        if isinstance(action, Finish):
            return action.outcome, actions
        if isinstance(action, Collect):
            item = script.pop(0) if script else NO_INPUT
            action = feed(sess, Digits(item) if isinstance(item, str) else item)
        else:
            action = feed(sess, DONE)
    raise AssertionError("the flow did not finish")


def test_valid_code_reaches_the_chosen_queue_with_the_customer_attached() -> None:
    outcome, actions = run(session(), [ADA.code + "#", "1"])
    assert outcome.kind is OutcomeKind.QUEUE
    assert (outcome.queue, outcome.caller.customer_id, outcome.caller.customer_code, outcome.caller.tier) == (
        "support", "cust-1", ADA.code, "vip")
    assert outcome.priority == 9  # vip in main.yaml's tier_priority
    assert outcome.skills == (("support", 7),)  # vip/key callers need senior support agents
    assert outcome.caller.intent == "support"
    assert outcome.identified_by == "code" and not outcome.caller.unidentified
    assert ("entered_code", ADA.code) in outcome.caller.ivr_data
    assert outcome.dnis == "5551000"
    says = [a.text for a in actions if isinstance(a, Say)]
    assert says == ["Welcome back, Ada Lovelace.", "Your ticket number 4711 is being worked on."]
    assert outcome.started_at < outcome.ended_at


def test_customer_without_open_ticket_goes_straight_to_the_menu() -> None:
    outcome, actions = run(session(), [BOB.code, "2"])
    assert (outcome.queue, outcome.caller.intent, outcome.priority, outcome.skills) == (
        "sales", "sales", 3, (("sales", 1),))
    assert [a.text for a in actions if isinstance(a, Say)] == ["Welcome back, Bob Small."]
    assert outcome.language == "fr"


def test_wrong_code_twice_then_silence_ends_unidentified_in_the_general_queue() -> None:
    wrong_checksum, unknown_customer = "100009", make_customer_code(55555)
    outcome, actions = run(session(), [wrong_checksum, unknown_customer, NO_INPUT])
    assert outcome.kind is OutcomeKind.QUEUE
    assert outcome.queue == "general"
    assert outcome.caller.unidentified and outcome.caller.customer_id is None and outcome.identified_by is None
    assert outcome.priority == MAIN.default_priority
    collects = [a for a in actions if isinstance(a, Collect)]
    assert len(collects) == 3
    # Each retry after a wrong code starts with the "not valid" notice before the question again.
    assert [p.key for p in collects[1].prompts] == ["invalid_code", "please_try_again", "enter_customer_code"]
    assert collects[2].prompts[0].key == "invalid_code"


def test_silence_gets_the_no_input_prompt_and_then_a_valid_code_still_works() -> None:
    outcome, actions = run(session(), [NO_INPUT, ADA.code, "2"])
    collects = [a for a in actions if isinstance(a, Collect)]
    assert [p.key for p in collects[1].prompts] == ["no_input", "enter_customer_code"]
    assert outcome.caller.customer_id == "cust-1" and outcome.queue == "sales"


def test_short_code_counts_as_a_wrong_attempt() -> None:
    outcome, _ = run(session(), ["123", "1", "1"])
    assert outcome.queue == "general" and outcome.caller.unidentified


def test_ani_match_identifies_when_the_code_fails() -> None:
    outcome, _ = run(session(ani="+15551234"), [NO_INPUT, NO_INPUT, NO_INPUT])
    assert outcome.queue == "general"
    assert (outcome.caller.customer_id, outcome.identified_by, outcome.caller.unidentified) == ("cust-2", "ani", False)
    assert outcome.priority == 3  # small tier


def test_hang_up_mid_ivr_is_abandoned_with_what_was_collected() -> None:
    outcome, _ = run(session(), ["100009", ADA.code, HUNG_UP])
    assert outcome.kind is OutcomeKind.ABANDONED
    assert outcome.queue is None
    assert outcome.last_node == "main_menu"
    assert outcome.caller.customer_id == "cust-1"
    data = dict(outcome.caller.ivr_data)
    assert data["entered_code"] == ADA.code
    assert data["ticket_id"] == "4711"


def test_hang_up_during_the_hold_prompt_is_still_abandoned_in_ivr() -> None:
    sess = session()
    action = start(sess)
    for result in (DONE, Digits(ADA.code), DONE, DONE, Digits("1")):
        action = feed(sess, result)
    assert isinstance(action, Play) and action.prompts[0].key == "please_hold"
    final = sess.feed(HUNG_UP)
    assert isinstance(final, Finish) and final.outcome.kind is OutcomeKind.ABANDONED
    assert final.outcome.caller.intent == "support"


def test_callback_uses_the_caller_number_and_survives_an_early_hang_up() -> None:
    sess = session(ani="+1 (555) 0000")
    action = start(sess)
    for result in (DONE, Digits(ADA.code), DONE, DONE, Digits("3")):
        action = feed(sess, result)
    assert isinstance(action, Play)  # "an agent will call you back"
    final = sess.feed(HUNG_UP)
    assert isinstance(final, Finish)
    assert final.outcome.kind is OutcomeKind.CALLBACK
    assert (final.outcome.callback_number, final.outcome.queue) == ("+1 (555) 0000", "support")


def test_callback_without_caller_number_waits_in_queue_instead() -> None:
    outcome, _ = run(session(ani="unknown"), [ADA.code, "3"])
    assert (outcome.kind, outcome.queue, outcome.caller.intent) == (OutcomeKind.QUEUE, "support", "callback")


def test_voicemail_option() -> None:
    outcome, _ = run(session(), [BOB.code, "9"])
    assert (outcome.kind, outcome.mailbox) == (OutcomeKind.VOICEMAIL, "support@callcenter")


def test_invalid_menu_choices_then_the_general_queue() -> None:
    outcome, actions = run(session(), [ADA.code, "7", "#", NO_INPUT])
    assert outcome.queue == "general" and outcome.caller.customer_id == "cust-1"
    collects = [a for a in actions if isinstance(a, Collect)]
    assert collects[2].prompts[0].key == "invalid_option"
    assert collects[3].prompts[0].key == "invalid_option"


def test_feeding_a_finished_session_is_refused() -> None:
    sess = session()
    run(sess, [HUNG_UP])
    with pytest.raises(SessionOver):
        sess.feed(DONE)


def _looping_flow() -> Flow:
    raw = yaml.safe_load((FLOWS_DIR / "main.yaml").read_text())
    raw = copy.deepcopy(raw)
    raw["max_steps"] = 25
    raw["nodes"]["main_menu"]["options"]["*"] = "repeat"
    raw["nodes"]["repeat"] = {"type": "play", "prompt": "one_moment", "next": "main_menu"}
    return parse_flow(raw, source="looping.yaml")


def test_a_caller_looping_forever_is_sent_to_the_fallback_queue() -> None:
    flow = _looping_flow()
    outcome, actions = run(session(flow=flow), [ADA.code] + ["*"] * 100)
    assert outcome.kind is OutcomeKind.QUEUE and outcome.queue == "general"
    assert outcome.caller.customer_id == "cust-1"
    assert len(actions) <= 25 + 1


def test_look_ups_are_requests_answered_through_feed() -> None:
    sess = session(ani=" +15551234 ")
    assert sess.start() == CustomerByAni("+15551234")
    greeting = sess.feed(FoundCustomer(None))
    assert isinstance(greeting, Play) and greeting.prompts[0].key == "hello"
    assert isinstance(sess.feed(DONE), Collect)
    assert sess.feed(Digits(ADA.code)) == CustomerByCode(ADA.code)
    assert sess.feed(FoundCustomer(ADA)) == Say("Welcome back, Ada Lovelace.")
    assert sess.feed(DONE) == OpenTicket("cust-1")
    menu = sess.feed(FoundTicket(None))  # no open ticket: straight on to the menu, nothing said
    assert isinstance(menu, Collect) and menu.prompts[0].key == "main_menu"
    outcome, _ = run_on(sess, menu, ["2"])
    assert (outcome.queue, outcome.caller.customer_id, outcome.identified_by) == ("sales", "cust-1", "code")


def test_no_caller_number_and_a_bad_checksum_ask_the_directory_nothing() -> None:
    sess = session(ani="anonymous")
    assert isinstance(sess.start(), Play)
    sess.feed(DONE)
    retry = sess.feed(Digits("100009"))
    assert isinstance(retry, Collect) and retry.prompts[0].key == "invalid_code"


def test_a_code_the_crm_does_not_know_is_asked_again() -> None:
    sess = session(ani="")
    sess.start()
    sess.feed(DONE)
    unknown = make_customer_code(55555)
    assert sess.feed(Digits(unknown)) == CustomerByCode(unknown)
    retry = sess.feed(FoundCustomer(None))
    assert isinstance(retry, Collect) and retry.prompts[0].key == "invalid_code"


def test_an_answer_that_does_not_fit_the_last_action_is_refused() -> None:
    sess = session()
    sess.start()
    with pytest.raises(UnexpectedResult):
        sess.feed(FoundTicket(None))  # the start was asked for a customer by caller number
    with pytest.raises(UnexpectedResult):
        sess.feed(Digits("1"))
    play = sess.feed(FoundCustomer(None))  # the session still waits for its answer and goes on
    assert isinstance(play, Play)
    with pytest.raises(UnexpectedResult):
        sess.feed(FoundCustomer(ADA))  # nobody asked


def test_hang_up_while_a_look_up_runs_is_abandoned_at_that_node() -> None:
    sess = session(ani="")
    sess.start()
    sess.feed(DONE)
    assert isinstance(sess.feed(Digits(ADA.code)), CustomerByCode)
    final = sess.feed(HUNG_UP)
    assert isinstance(final, Finish)
    assert (final.outcome.kind, final.outcome.last_node) == (OutcomeKind.ABANDONED, "check_code")
    assert dict(final.outcome.caller.ivr_data)["entered_code"] == ADA.code


_inputs = st.lists(
    st.one_of(
        st.sampled_from([ADA.code, BOB.code, ADA.code + "#", "100009", "1", "2", "3", "9", "*"]),
        st.text("0123456789*#", max_size=8),
        st.sampled_from([NO_INPUT, HUNG_UP, DONE]),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(
    inputs=_inputs,
    tail=st.sampled_from([NO_INPUT, "*", "1", ADA.code]),
    ani=st.sampled_from(["", "+15551234", "5550000"]),
    looping=st.booleans(),
)
def test_any_caller_behaviour_ends_in_a_real_outcome_within_bounded_steps(
    inputs: list[InputResult | str], tail: InputResult | str, ani: str, looping: bool
) -> None:
    flow = LOOPING if looping else MAIN
    sess = IvrSession(flow, call_id="c", ani=ani, clock=Clock())
    action = start(sess)
    script = list(inputs)
    hung_up = False
    for _ in range(flow.max_steps + 1):
        if isinstance(action, Finish):
            break
        item = script.pop(0) if script else tail  # then the caller repeats one thing forever
        result = Digits(item) if isinstance(item, str) else item
        hung_up = result is HUNG_UP
        action = feed(sess, result)
    assert isinstance(action, Finish), "stuck: no outcome within max_steps"
    outcome = action.outcome
    assert outcome.kind in {OutcomeKind.QUEUE, OutcomeKind.CALLBACK, OutcomeKind.VOICEMAIL, OutcomeKind.ABANDONED}
    if outcome.kind is OutcomeKind.ABANDONED:
        assert hung_up
    else:
        assert outcome.queue or outcome.mailbox
    if outcome.kind is OutcomeKind.QUEUE:
        assert outcome.priority > 0
    assert outcome.caller.unidentified == (outcome.caller.customer_id is None)


LOOPING = _looping_flow()
