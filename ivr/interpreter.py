"""The IVR interpreter: a pure state machine over a :class:`~ivr.flow.Flow`.

``start()`` returns the first action; each ``feed(result)`` takes what the caller did and returns
the next one, until a :class:`~ivr.actions.Finish`. The session does no I/O: a customer look-up is
an action too (:data:`~ivr.directory.LookUp`) whose answer comes back through ``feed``, so the edge
decides where the query runs; time comes from the injected clock. Every path ends in
an outcome: exhausted retries and runaway flows (more than ``flow.max_steps`` steps) go to the
flow's fallback queue, a hang-up gives ``abandoned_in_ivr`` with what was collected so far.

The session speaks one of the flow's languages at a time (a language node switches it); prompts and texts
go out in that language. Prompts that lead to an input node are marked interruptible, so a caller who
knows the routine can key their answer during them (the edge keeps those keys for the input).
"""

from __future__ import annotations

from collections.abc import Mapping

from bus.clock import Clock
from crm_core.codes import is_valid_customer_code
from ivr.actions import (
    HUNG_UP,
    Action,
    Collect,
    Digits,
    Finish,
    InputResult,
    Play,
    Say,
    SayDigits,
)
from ivr.caller import CallerData
from ivr.directory import (
    CustomerByAni,
    CustomerByCode,
    CustomerRecord,
    FoundCustomer,
    FoundTicket,
    LookUp,
    OpenTicket,
    TicketStatus,
)
from ivr.events import IvrNodeVisited
from ivr.flow import (
    BranchNode,
    CallbackNode,
    CollectNode,
    Flow,
    HangupNode,
    LanguageNode,
    MenuNode,
    Node,
    PlayNode,
    Prompts,
    QueueNode,
    ReadbackNode,
    Routing,
    SayNode,
    SetNode,
    TerminalNode,
    ValidateNode,
    VoicemailNode,
)
from ivr.grammar import Grammar, choice_grammar, digit_grammar
from ivr.outcome import IvrOutcome, OutcomeKind

_CALL_VARS = ("call_id", "ani", "dnis")
_NO_ANI = frozenset({"", "unknown", "anonymous", "restricted", "private"})
# How far ahead through prompt-only nodes an input node makes the prompts interruptible.
_LOOKAHEAD = 8


class SessionOver(RuntimeError):
    """``feed`` was called after the session finished."""


class UnexpectedResult(ValueError):
    """``feed`` got a result that does not answer the last action (e.g. digits for a look-up)."""


class _Data(dict[str, str]):
    """Call data for templates: a name never set reads as empty text."""

    def __missing__(self, key: str) -> str:
        return ""


class IvrSession:
    """One caller's walk through a flow."""

    __slots__ = (
        "_ani_customer",
        "_attempts",
        "_clock",
        "_customer",
        "_data",
        "_flow",
        "_language",
        "_language_chosen",
        "_node",
        "_outcome",
        "_pending",
        "_started_at",
        "_steps",
        "_then",
        "_visits",
    )

    def __init__(
        self,
        flow: Flow,
        *,
        call_id: str,
        ani: str,
        dnis: str = "",
        clock: Clock,
    ) -> None:
        self._flow = flow
        self._clock = clock
        ani = "" if ani.strip().lower() in _NO_ANI else ani.strip()
        self._data = _Data(call_id=call_id, ani=ani, dnis=dnis)
        self._customer: CustomerRecord | None = None
        self._ani_customer: CustomerRecord | None = None
        self._attempts: dict[str, int] = {}
        self._node: Node = flow.nodes[flow.start]
        self._language = flow.language
        self._language_chosen = False
        self._outcome: IvrOutcome | None = None
        self._pending: LookUp | None = None  # the look-up whose answer the next feed must bring
        self._started_at = 0.0
        self._steps = 0
        self._then = ""  # where to go once the Play/Say in progress is done
        self._visits: list[IvrNodeVisited] = []  # steps not yet taken by the edge (take_visits)

    @property
    def language(self) -> str:
        """The language the call is in now."""
        return self._language

    @property
    def outcome(self) -> IvrOutcome | None:
        """The outcome once the session returned :class:`Finish`."""
        return self._outcome

    def take_visits(self) -> list[IvrNodeVisited]:
        """The node steps since the last call (entered, recognised, invalid, timeout, hung up), oldest first."""
        visits, self._visits = self._visits, []
        return visits

    def _visit(self, node: str, result: str, value: str = "") -> None:
        self._visits.append(IvrNodeVisited(at=self._clock(), call_id=self._data["call_id"], node=node,
                                           result=result, value=value))

    def start(self) -> Action:
        """Begin the flow; a known caller number is first looked up (:class:`CustomerByAni`)."""
        self._started_at = self._clock()
        if self._data["ani"]:
            return self._look_up(CustomerByAni(self._data["ani"]))
        return self._enter(self._flow.start)

    def feed(self, result: InputResult) -> Action:
        """Take the result of the last action and return the next action.

        A look-up must be answered with its :data:`~ivr.directory.LookUpAnswer` (or :data:`HUNG_UP`),
        a caller action with the caller's result; anything else raises :class:`UnexpectedResult`.
        """
        if self._outcome is not None:
            raise SessionOver(f"IVR session {self._data['call_id']} already finished")
        # The caller may be gone before a look-up's answer is of any use; that ends the call as usual.
        if self._pending is not None and result is not HUNG_UP:
            return self._on_looked_up(self._pending, result)
        if isinstance(result, FoundCustomer | FoundTicket):
            raise UnexpectedResult(f"{result!r} answers no look-up at node '{self._node.id}'")
        node = self._node
        if result is HUNG_UP:
            self._visit(node.id, "hung_up")
            # A call-back or a hang-up the caller already chose stands even if they leave early.
            if isinstance(node, CallbackNode | HangupNode):
                return self._finish_terminal(node)
            return self._finish(OutcomeKind.ABANDONED, node.id)
        match node:
            case CollectNode():
                return self._on_collected(node, result)
            case MenuNode() | LanguageNode():
                return self._on_choice(node, result)
            case PlayNode() | SayNode() | ReadbackNode():
                return self._enter(self._then)
            case QueueNode() | CallbackNode() | VoicemailNode() | HangupNode():
                return self._finish_terminal(node)
            case _:
                raise SessionOver(f"node '{node.id}' does not wait for input")

    # -- moving through the graph -------------------------------------------------------------

    def _enter(self, node_id: str, *, notice: Prompts = (), retry: bool = False) -> Action:
        """Run silent nodes until one needs the caller or ends the call.

        ``retry`` re-asks a collect node without resetting its attempt count; ``notice`` is played
        before its prompt (e.g. "that code is not valid").
        """
        flow = self._flow
        while True:
            self._steps += 1
            if self._steps > flow.max_steps:
                return self._finish_terminal(self._fallback())
            node = flow.nodes[node_id]
            self._node = node
            self._visit(node.id, "entered")
            match node:
                case PlayNode():
                    self._then = node.next
                    return Play(self._flow.localise(node.prompts, self._language), self._leads_to_input(node.next))
                case SayNode():
                    self._then = node.next
                    interruptible = self._leads_to_input(node.next)
                    if node.text is not None:
                        return Say(self._text(node.text), self._say_language, interruptible)
                    return SayDigits((node.digits or "").format_map(self._data), self._say_language, interruptible)
                case LanguageNode() if not node.options or (node.from_customer and self._customer_language()):
                    if node.from_customer:
                        self._choose_language(self._customer_language())
                    node_id = node.next
                case CollectNode() | MenuNode() | LanguageNode():
                    attempts = self._attempts.get(node.id, 0) if retry else 0
                    self._attempts[node.id] = attempts + 1
                    return self._ask(node, notice)
                case ValidateNode():
                    value = self._data.get(node.input, "")
                    valid = bool(value) and (not node.checksum or is_valid_customer_code(value))
                    if valid and node.crm:
                        return self._look_up(CustomerByCode(value))
                    node_id, notice, retry = self._validated(node, valid)
                    continue
                case BranchNode():
                    node_id = next((r.next for r in node.rules if r.matches(self._data)), node.default)
                case SetNode():
                    for name, template in node.values:
                        self._data[name] = template.format_map(self._data)
                    node_id = node.next
                case ReadbackNode():
                    if self._customer is not None:
                        return self._look_up(OpenTicket(self._customer.id))
                    return self._read_back(node, None)
                case CallbackNode() if not node.number.format_map(self._data):
                    node_id = node.on_no_number
                case QueueNode() | CallbackNode() | VoicemailNode() | HangupNode():
                    if node.prompts:
                        return Play(self._flow.localise(node.prompts, self._language))
                    return self._finish_terminal(node)
            notice, retry = (), False

    def _ask(self, node: CollectNode | MenuNode | LanguageNode, notice: Prompts) -> Collect:
        flow, language = self._flow, self._language
        notice = flow.localise(notice, language)
        speech: Grammar | None = None
        if isinstance(node, LanguageNode):
            # Each language offers itself in its own words and voice.
            offers = tuple(p for lang in node.options.values() for p in flow.localise(node.prompts, lang))
            return Collect(notice + offers, 1, 1, node.retry.timeout_ms, "", node=node.id)
        prompts = notice + flow.localise(node.prompts, language)
        if isinstance(node, MenuNode):
            if node.words:
                speech = choice_grammar(language, node.words.get(language, {}))
            return Collect(prompts, 1, 1, node.retry.timeout_ms, "", speech, node.id)
        if node.speech:
            speech = digit_grammar(language)
        return Collect(prompts, node.min_digits, node.max_digits, node.retry.timeout_ms, node.terminator,
                       speech, node.id)

    def _leads_to_input(self, node_id: str) -> bool:
        """Whether the caller is asked for input after nothing but prompts (and silent settings)."""
        for _ in range(_LOOKAHEAD):
            match self._flow.nodes.get(node_id):
                case CollectNode() | MenuNode():
                    return True
                case LanguageNode() as node:
                    return bool(node.options)
                case PlayNode() | SayNode() | ReadbackNode() | SetNode() as node:
                    node_id = node.next
                case _:
                    return False
        return False

    @property
    def _say_language(self) -> str:
        """The language for Say actions: empty for the flow's own."""
        return "" if self._language == self._flow.language else self._language

    def _text(self, texts: Mapping[str, str]) -> str:
        return self._flow.text_in(texts, self._language).format_map(self._data)

    def _customer_language(self) -> str:
        """The flow's language that the known customer's record names (``zh`` matches ``zh-CN``), or ``""``."""
        customer = self._customer or self._ani_customer
        wanted = (customer.language if customer else "").strip()
        if not wanted:
            return ""
        for language in self._flow.languages:
            if language.lower() == wanted.lower():
                return language
        primary = wanted.split("-")[0].lower()
        return next((lang for lang in self._flow.languages if lang.split("-")[0].lower() == primary), "")

    def _choose_language(self, language: str) -> None:
        if language:
            self._language = language
            self._language_chosen = True

    def _retry(self, node: CollectNode | MenuNode | LanguageNode, notice: Prompts) -> Action:
        if self._attempts.get(node.id, 0) >= node.retry.attempts:
            return self._enter(node.retry.on_fail)
        return self._enter(node.id, notice=notice, retry=True)

    def _on_collected(self, node: CollectNode, result: InputResult) -> Action:
        value = result.value if isinstance(result, Digits) else ""
        if node.terminator and value.endswith(node.terminator):
            value = value[: -len(node.terminator)]
        if not value:
            self._visit(node.id, "timeout")
            return self._retry(node, node.retry.no_input_prompts)
        self._data[node.var] = value
        if not node.min_digits <= len(value) <= node.max_digits:
            self._visit(node.id, "invalid")
            return self._retry(node, node.retry.invalid_prompts)
        self._visit(node.id, "recognised")
        return self._enter(node.next)

    def _on_choice(self, node: MenuNode | LanguageNode, result: InputResult) -> Action:
        """A menu's key leads to its node; a language menu's key switches the language and goes on."""
        value = result.value if isinstance(result, Digits) else ""
        if not value:
            self._visit(node.id, "timeout")
            return self._retry(node, node.retry.no_input_prompts)
        chosen = node.options.get(value[0])
        if chosen is None:
            self._visit(node.id, "invalid", value[0])
            return self._retry(node, node.retry.invalid_prompts)
        self._visit(node.id, "recognised", value[0])
        if isinstance(node, LanguageNode):
            self._choose_language(chosen)
            return self._enter(node.next)
        return self._enter(chosen)

    def _look_up(self, request: LookUp) -> LookUp:
        self._pending = request
        return request

    def _on_looked_up(self, request: LookUp, result: InputResult) -> Action:
        """Go on from the node that asked for ``request`` with its answer ``result``."""
        node = self._node
        match request, result:
            case CustomerByAni(), FoundCustomer():
                self._pending = None
                self._ani_customer = result.customer
                return self._enter(self._flow.start)
            case CustomerByCode(), FoundCustomer() if isinstance(node, ValidateNode):
                self._pending = None
                if result.customer is not None:
                    self._identify(result.customer)
                # A code the CRM could not check is not the caller's mistake: no retry, the flow's fallback at once.
                node_id, notice, retry = self._validated(node, result.customer is not None,
                                                         give_up=result.unavailable)
                return self._enter(node_id, notice=notice, retry=retry)
            case OpenTicket(), FoundTicket() if isinstance(node, ReadbackNode):
                self._pending = None
                return self._read_back(node, result.ticket)
        raise UnexpectedResult(f"{result!r} does not answer {request!r}")

    def _validated(self, node: ValidateNode, valid: bool, *, give_up: bool = False) -> tuple[str, Prompts, bool]:
        """The node to go to, the notice to play there, and whether it is a retry (none when ``give_up``: the
        code could not be checked, logged as ``unavailable``)."""
        self._visit(node.id, "valid" if valid else "unavailable" if give_up else "not_valid")
        if valid:
            return node.next, (), False
        collect = self._flow.nodes[node.retry]
        assert isinstance(collect, CollectNode)  # guaranteed by the loader
        if give_up or self._attempts.get(collect.id, 0) >= collect.retry.attempts:
            return collect.retry.on_fail, (), False
        return collect.id, node.invalid_prompts or collect.retry.invalid_prompts, True

    def _identify(self, customer: CustomerRecord) -> None:
        self._customer = customer
        data = self._data
        data["customer_id"] = customer.id
        data["customer_code"] = customer.code
        data["customer_name"] = customer.name
        data["customer_tier"] = customer.tier
        data["customer_language"] = customer.language

    def _read_back(self, node: ReadbackNode, ticket: TicketStatus | None) -> Action:
        """Say the ticket's status (or the no-ticket text), or move on silently when there is none."""
        if ticket is None:
            if node.none_text is None:
                return self._enter(node.none_next)
            self._then = node.none_next
            return Say(self._text(node.none_text), self._say_language, self._leads_to_input(node.none_next))
        self._then = node.next
        self._data["ticket_id"] = ticket.ticket_id
        label = node.labels.get(ticket.status)
        self._data["ticket_status"] = (self._flow.text_in(label, self._language) if label
                                       else ticket.status.replace("_", " "))
        return Say(self._text(node.text), self._say_language, self._leads_to_input(node.next))

    # -- endings --------------------------------------------------------------------------------

    def _fallback(self) -> QueueNode:
        node = self._flow.nodes[self._flow.fallback]
        assert isinstance(node, QueueNode)  # guaranteed by the loader
        return node

    def _finish_terminal(self, node: TerminalNode) -> Finish:
        match node:
            case QueueNode():
                return self._finish(OutcomeKind.QUEUE, node.id, routing=node.routing)
            case CallbackNode():
                number = node.number.format_map(self._data)
                return self._finish(OutcomeKind.CALLBACK, node.id, routing=node.routing, callback_number=number)
            case VoicemailNode():
                return self._finish(OutcomeKind.VOICEMAIL, node.id, mailbox=node.mailbox)
            case HangupNode():
                return self._finish(OutcomeKind.HANGUP, node.id)

    def _outcome_language(self, customer: CustomerRecord | None) -> str:
        if self._language_chosen:
            return self._language
        return customer.language if customer else self._flow.language

    def _finish(
        self,
        kind: OutcomeKind,
        last_node: str,
        *,
        routing: Routing | None = None,
        callback_number: str | None = None,
        mailbox: str | None = None,
    ) -> Finish:
        customer = self._customer or self._ani_customer
        identified_by = "code" if self._customer else "ani" if self._ani_customer else None
        tier = customer.tier if customer else None
        priority = 0
        if routing is not None:
            priority = routing.priority if routing.priority is not None else self._flow.tier_priority.get(
                tier or "", self._flow.default_priority
            )
        data = self._data
        self._outcome = IvrOutcome(
            kind=kind,
            call_id=data["call_id"],
            caller=CallerData(
                ani=data["ani"],
                customer_id=customer.id if customer else None,
                customer_code=customer.code if customer else None,
                tier=tier,
                intent=data.get("intent") or None,
                ivr_data=tuple((k, v) for k, v in data.items() if k not in _CALL_VARS),
                unidentified=customer is None,
            ),
            dnis=data["dnis"],
            queue=routing.queue if routing else None,
            priority=priority,
            skills=routing.skills if routing else (),
            customer_name=customer.name if customer else None,
            language=self._outcome_language(customer),
            identified_by=identified_by,
            callback_number=callback_number,
            mailbox=mailbox,
            last_node=last_node,
            steps=self._steps,
            started_at=self._started_at,
            ended_at=self._clock(),
        )
        return Finish(self._outcome)
