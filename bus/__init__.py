"""The ground floor: domain events, the in-process bus, the event log's interface and the clock type.

Every package may import this one; it imports nothing of ours.
"""
