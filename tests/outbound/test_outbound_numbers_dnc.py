import random
from array import array
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from outbound_helpers import FLORIDA, IDAHO, NY, number

from agent_desktop.catalogue import ROLES
from outbound.dnc import REMOVER_ROLES, DncError, DncList, DncPermissionError
from outbound.numbers import NumberError, parse_number
from outbound.registry import NationalRegistry
from outbound.registry_file import RegistryFileError, build_registry, load_registry


def test_a_number_is_parsed_once_into_the_facts_the_rules_need() -> None:
    ny = parse_number("(212) 555-0100", "US")
    assert (ny.e164, ny.digits, ny.region, ny.subdivision, ny.time_zones) == \
        ("+12125550100", 12125550100, "US", "NY", ("America/New_York",))
    assert number(FLORIDA).region_key == "US-FL"
    assert number(IDAHO).time_zones == ("America/Boise", "America/Los_Angeles")
    assert parse_number("+33142685300").region_key == "FR"


@pytest.mark.parametrize("text", ["", "hello", "+1555", "+999123456789"])
def test_what_is_not_a_valid_number_is_refused(text: str) -> None:
    with pytest.raises(NumberError):
        parse_number(text, "US")


def test_internal_list_entries_say_who_when_why_and_every_change_is_audited() -> None:
    dnc = DncList()
    change = dnc.internal.add(number(NY), at=100.0, by="agent:ann", reason="do-not-call disposition")
    assert (change.action, change.list_name, change.e164, change.actor) == ("add", "internal", NY, "agent:ann")
    hit = dnc.blocks(number(NY).digits, "spring")
    assert hit is not None and hit.list_name == "internal" and hit.entry is not None
    assert (hit.entry.added_at, hit.entry.added_by, hit.entry.reason) == (100.0, "agent:ann", "do-not-call disposition")
    assert "agent:ann" in hit.describe()


def test_removal_needs_a_campaign_manager_and_a_reason() -> None:
    dnc = DncList()
    dnc.internal.add(number(NY), at=1.0, by="agent:ann", reason="asked")
    with pytest.raises(DncPermissionError):
        dnc.internal.remove(number(NY), at=2.0, by="sup", role="supervisor", reason="mistake")
    with pytest.raises(DncError):
        dnc.internal.remove(number(NY), at=2.0, by="cm", role="campaign_manager", reason="  ")
    assert dnc.blocks(number(NY).digits) is not None
    change = dnc.internal.remove(number(NY), at=3.0, by="cm", role="campaign_manager", reason="customer opted in")
    assert (change.action, change.role, change.reason, change.at) == \
        ("remove", "campaign_manager", "customer opted in", 3.0)
    assert dnc.blocks(number(NY).digits) is None
    with pytest.raises(DncError):
        dnc.internal.remove(number(NY), at=4.0, by="cm", role="campaign_manager", reason="again")
    assert set(ROLES) >= REMOVER_ROLES


def test_a_campaign_list_blocks_only_its_campaign_and_removals_are_announced() -> None:
    dnc = DncList()
    dnc.campaign("spring").add(number(NY), at=1.0, by="cm", reason="complaint")
    assert dnc.blocks(number(NY).digits, "spring") is not None
    assert dnc.blocks(number(NY).digits, "autumn") is None
    seen, _ = dnc.cleared_since(0)
    dnc.campaign("spring").remove(number(NY), at=2.0, by="cm", role="admin", reason="resolved")
    assert dnc.cleared_since(seen) == (seen + 1, [number(NY).digits])


def test_stored_entries_are_restored_without_new_audit() -> None:
    source = DncList()
    source.internal.add(number(NY), at=5.0, by="agent:bo", reason="asked")
    entry = source.internal.entry(number(NY).digits)
    assert entry is not None
    restored = DncList()
    restored.internal.restore([entry])
    assert restored.internal.entry(number(NY).digits) == entry


def test_the_national_registry_blocks_everyone(tmp_path: Path) -> None:
    registry = NationalRegistry.from_numbers([number(NY).digits, 12125550199])
    dnc = DncList(registry)
    hit = dnc.blocks(number(NY).digits, "spring")
    assert hit is not None and hit.list_name == "national registry" and hit.entry is None
    assert dnc.blocks(number(FLORIDA).digits) is None


def test_registry_file_reads_the_published_formats(tmp_path: Path) -> None:
    text = tmp_path / "list.txt"
    text.write_bytes(b"phone_number\n2125550100\n+1 (305) 555-0100\n212,5550101\n\n12085550100\n2125550100\n"
                     b"99999999999999999999\n")
    built = build_registry(text, tmp_path / "dnc.bin", region="US")
    assert (built.lines, built.numbers, built.skipped) == (8, 4, 3)
    registry = load_registry(tmp_path / "dnc.bin")
    assert len(registry) == 4
    for digits in (12125550100, 13055550100, 12125550101, 12085550100):
        assert digits in registry
    assert 12125550102 not in registry


def test_national_numbers_lose_their_trunk_prefix(tmp_path: Path) -> None:
    build_registry([b"07911 123456\n", b"+33 1 42 68 53 00\n"], tmp_path / "gb.bin", region="GB")
    registry = load_registry(tmp_path / "gb.bin")
    assert 447911123456 in registry and 33142685300 in registry


def test_a_registry_of_a_million_numbers_builds_maps_and_answers(tmp_path: Path) -> None:
    rng = random.Random(3)
    listed = [rng.randrange(2_000_000_000, 9_999_999_999) for _ in range(1_000_000)]
    text = tmp_path / "million.txt"
    text.write_text("".join(f"{n}\n" for n in listed))
    built = build_registry(text, tmp_path / "million.bin")
    assert built.lines == 1_000_000 and built.numbers == len(set(listed))
    assert (tmp_path / "million.bin").stat().st_size == 16 + 8 * built.numbers  # 8 bytes a number
    registry = load_registry(tmp_path / "million.bin")
    as_set = {10_000_000_000 + n for n in listed}
    probes = [10_000_000_000 + n for n in rng.sample(listed, 5000)]
    probes += [rng.randrange(12_000_000_000, 19_999_999_999) for _ in range(5000)]
    assert all((p in registry) == (p in as_set) for p in probes)


def test_a_file_that_is_not_a_registry_is_refused(tmp_path: Path) -> None:
    (tmp_path / "junk.bin").write_bytes(b"not a registry at all")
    with pytest.raises(RegistryFileError):
        load_registry(tmp_path / "junk.bin")
    build_registry([b"2125550100\n"], tmp_path / "ok.bin")
    (tmp_path / "cut.bin").write_bytes((tmp_path / "ok.bin").read_bytes()[:-3])
    with pytest.raises(RegistryFileError):
        load_registry(tmp_path / "cut.bin")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(10**9, 10**15 - 1), max_size=300), st.lists(st.integers(10**9, 10**15 - 1), max_size=50))
def test_registry_membership_is_set_membership(listed: list[int], others: list[int]) -> None:
    registry = NationalRegistry.from_numbers(listed)
    assert len(registry) == len(set(listed))
    for digits in listed + others:
        assert (digits in registry) == (digits in set(listed))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(2_000_000_000, 9_999_999_999), max_size=200))
def test_registry_file_round_trip(tmp_path_factory: pytest.TempPathFactory, listed: list[int]) -> None:
    folder = tmp_path_factory.mktemp("reg")
    build_registry([f"{n}\n".encode() for n in listed], folder / "r.bin")
    registry = load_registry(folder / "r.bin")
    expected = sorted({10_000_000_000 + n for n in listed})
    assert len(registry) == len(expected)
    assert all(d in registry for d in expected)
    assert array("q", expected).tobytes() == (folder / "r.bin").read_bytes()[16:]
