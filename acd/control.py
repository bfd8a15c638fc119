"""What the ACD answers when a desk's command (ready, dispose, hold, transfer...) cannot be carried out."""


class AgentControlRefused(Exception):
    """The ACD refused a request (illegal state move, unknown agent or call); ``str()`` says why."""
