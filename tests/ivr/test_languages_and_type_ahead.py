"""Flows in several languages (the customer's record or a language menu decides), speech at input nodes,
and which prompts a caller may key through (type-ahead)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from crm_core.codes import make_customer_code
from ivr.actions import DONE, Action, Collect, Digits, Finish, Play, Say
from ivr.directory import CustomerRecord, InMemoryDirectory, LookUp, look_up
from ivr.flow import Flow
from ivr.grammar import GrammarKind
from ivr.interpreter import IvrSession
from ivr.loader import FlowError, load_builtin_flow, parse_flow

MAIN = load_builtin_flow("main")
LI = CustomerRecord(id="cust-3", code=make_customer_code(20000), name="李华", tier="normal", language="zh-CN")
ADA = CustomerRecord(id="cust-1", code=make_customer_code(10000), name="Ada Lovelace", tier="vip")

MENU_FLOW: dict[str, Any] = {
    "name": "choose",
    "language": "en",
    "languages": ["en", "zh-CN"],
    "start": "pick",
    "fallback": "general",
    "nodes": {
        "pick": {"type": "language", "from_customer": True, "options": {1: "en", 2: "zh-CN"},
                 "prompt": "choose_language", "invalid_prompt": "invalid_option", "next": "welcome"},
        "welcome": {"type": "play", "prompt": "thanks_for_calling", "next": "greet"},
        "greet": {"type": "say", "text": {"en": "Hello {ani}.", "zh-CN": "您好，{ani}。"}, "next": "general"},
        "general": {"type": "queue", "queue": "general", "prompt": "please_hold"},
    },
}


def session(flow: Flow = MAIN, ani: str = "5550000") -> IvrSession:
    return IvrSession(flow, call_id="c", ani=ani, clock=lambda: 1.0)


def directory() -> InMemoryDirectory:
    return InMemoryDirectory([ADA, LI], phones={"+86 10 5555 0000": "cust-3"})


def answered(sess: IvrSession, action: Action) -> Action:
    while isinstance(action, LookUp):
        action = sess.feed(look_up(directory(), action))
    return action


def test_a_caller_known_by_number_hears_the_flow_in_their_own_language() -> None:
    sess = session(ani="+86 10 5555 0000")
    greeting = answered(sess, sess.start())
    assert isinstance(greeting, Play)
    assert [(p.key, p.language, p.text) for p in greeting.prompts] == [
        ("hello", "zh-CN", "您好。"), ("thanks_for_calling", "zh-CN", "感谢您的来电。")]
    ask = answered(sess, sess.feed(DONE))
    assert isinstance(ask, Collect) and ask.prompts[0].text == "请输入您的六位客户编号，然后按井号键。"
    assert ask.speech is not None and ask.speech.language == "zh-CN" and ask.speech.kind is GrammarKind.DIGITS
    welcome = answered(sess, sess.feed(Digits(LI.code)))
    assert welcome == Say("李华，欢迎您再次来电。", "zh-CN", interruptible=True)
    menu = answered(sess, sess.feed(DONE))
    assert isinstance(menu, Collect) and menu.speech is not None
    assert menu.speech.interpret("我要 技术支持") == "1" and menu.speech.interpret("留言") == "9"
    finish = answered(sess, sess.feed(Digits("2")))
    assert isinstance(finish, Play) and finish.prompts[0].text == "正在为您转接，请稍候。"
    done = sess.feed(DONE)
    assert isinstance(done, Finish) and done.outcome.language == "zh-CN" and done.outcome.queue == "sales"


def test_a_customer_identified_by_code_is_served_in_their_language_from_then_on() -> None:
    sess = session()
    assert isinstance(answered(sess, sess.start()), Play)
    ask = answered(sess, sess.feed(DONE))
    assert isinstance(ask, Collect) and ask.prompts[0].language == "en"
    assert answered(sess, sess.feed(Digits(LI.code))) == Say("李华，欢迎您再次来电。", "zh-CN", interruptible=True)


def test_the_language_menu_offers_each_language_in_its_own_voice_and_switches() -> None:
    flow = parse_flow(MENU_FLOW, source="choose.yaml")
    sess = session(flow)
    ask = answered(sess, sess.start())
    assert isinstance(ask, Collect) and (ask.min_digits, ask.max_digits) == (1, 1)
    assert [(p.text, p.language) for p in ask.prompts] == [("For English, press 1.", "en"),
                                                           ("中文服务请按2。", "zh-CN")]
    retry = sess.feed(Digits("7"))
    assert isinstance(retry, Collect) and retry.prompts[0].key == "invalid_option"
    welcome = sess.feed(Digits("2"))
    assert isinstance(welcome, Play) and welcome.prompts[0].text == "感谢您的来电。"
    assert sess.feed(DONE) == Say("您好，5550000。", "zh-CN", interruptible=False)
    assert sess.language == "zh-CN"


def test_a_language_menu_left_unanswered_goes_on_in_the_flow_language() -> None:
    sess = session(parse_flow(MENU_FLOW, source="choose.yaml"))
    answered(sess, sess.start())
    sess.feed(Digits(""))
    welcome = sess.feed(Digits(""))
    assert isinstance(welcome, Play) and welcome.prompts[0].text == "Thank you for calling."


def test_prompts_before_an_input_are_interruptible_and_the_others_not() -> None:
    sess = session()
    greeting = answered(sess, sess.start())
    assert isinstance(greeting, Play) and greeting.interruptible  # the code is asked next
    answered(sess, sess.feed(DONE))
    welcome = answered(sess, sess.feed(Digits(ADA.code)))
    assert isinstance(welcome, Say) and welcome.interruptible  # the read-back, then the menu
    assert isinstance(answered(sess, sess.feed(DONE)), Collect)
    hold = answered(sess, sess.feed(Digits("2")))
    assert isinstance(hold, Play) and not hold.interruptible  # before the queue: nothing to key


def _problems(flow: dict[str, Any]) -> list[str]:
    with pytest.raises(FlowError) as caught:
        parse_flow(flow, source="choose.yaml")
    return caught.value.problems


def test_every_text_of_a_flow_of_several_languages_is_given_in_each() -> None:
    flow = copy.deepcopy(MENU_FLOW)
    flow["nodes"]["greet"]["text"] = "Hello {ani}."
    assert any("node 'greet': 'text' must be a non-empty text for each of the flow's languages (en, zh-CN)" in p
               for p in _problems(flow))


def test_every_prompt_exists_in_every_language() -> None:
    flow = copy.deepcopy(MENU_FLOW)
    flow["prompts"] = {"only_english": {"text": "Only in English."}}
    flow["nodes"]["welcome"]["prompt"] = "only_english"
    assert "choose.yaml: node 'welcome': missing prompt 'only_english' ('prompt') in prompt set 'zh-CN'" in (
        _problems(flow))
    flow["prompts"] = {"only_english": {"text": {"en": "In English.", "zh-CN": "中文。"}}}
    assert parse_flow(flow, source="choose.yaml").prompt_sets["zh-CN"]["only_english"].text == "中文。"


def test_language_options_and_speech_words_are_checked() -> None:
    flow = copy.deepcopy(MENU_FLOW)
    flow["nodes"]["pick"]["options"] = {1: "en", 2: "fr"}
    assert any("'options': '2' must name one of the flow's languages (en, zh-CN), got 'fr'" in p
               for p in _problems(flow))
    flow = copy.deepcopy(MENU_FLOW)
    flow["nodes"]["welcome"] = {"type": "menu", "prompt": "main_menu", "input": ["dtmf", "speech"],
                                "options": {1: {"next": "general", "words": {"en": ["support"]}}}}
    assert any("'options': '1' needs 'words' in 'zh-CN'" in p for p in _problems(flow))
    flow["nodes"]["welcome"]["input"] = ["speech"]
    assert any("'input' must list 'dtmf' and optionally 'speech'" in p for p in _problems(flow))
