"""The AudioSocket wire protocol (sans I/O) and our server's hand-over of connections by UUID."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cti.audiosocket import (
    AudioFrame,
    AudioSocketParser,
    AudioSocketProtocolError,
    AudioSocketServer,
    DtmfFrame,
    Frame,
    HangupFrame,
    UuidFrame,
    encode_audio,
    encode_dtmf,
    encode_hangup,
    encode_uuid,
)

SESSION = "40325ec2-5efd-4bd3-805f-53576e581d13"


def encode(frame: Frame) -> bytes:
    match frame:
        case AudioFrame():
            return encode_audio(frame.pcm)
        case DtmfFrame():
            return encode_dtmf(frame.digit)
        case UuidFrame():
            return encode_uuid(frame.uuid)
        case HangupFrame():
            return encode_hangup()
    raise AssertionError(frame)


frames = st.one_of(
    st.binary(min_size=1, max_size=700).map(lambda b: AudioFrame(b + b)),
    st.sampled_from("0123456789*#ABCD").map(DtmfFrame),
    st.uuids().map(lambda u: UuidFrame(str(u))),
    st.just(HangupFrame()),
)


@given(st.lists(frames, max_size=12), st.lists(st.integers(min_value=1, max_value=64), max_size=40))
def test_frames_survive_any_split_of_the_stream(sent: list[Frame], cuts: list[int]) -> None:
    data = b"".join(encode(f) for f in sent)
    parser = AudioSocketParser()
    got: list[Frame] = []
    position = 0
    for size in cuts:
        got += parser.feed(data[position:position + size])
        position += size
    got += parser.feed(data[position:])
    assert got == sent


def test_what_asterisk_sends_first_and_for_a_key() -> None:
    raw = uuid.UUID(SESSION).bytes
    parser = AudioSocketParser()
    assert parser.feed(b"\x01\x00\x10" + raw + b"\x03\x00\x01" + b"5") == [UuidFrame(SESSION), DtmfFrame("5")]
    assert parser.feed(b"\x10\x00\x04\x01\x00\xff\xff") == [AudioFrame(b"\x01\x00\xff\xff")]
    assert AudioFrame(b"\x00" * 320).seconds == pytest.approx(0.02)


@pytest.mark.parametrize("bad", [b"\x42\x00\x00", b"\x03\x00\x02ab", b"\x01\x00\x02ab"])
def test_bytes_that_are_not_audiosocket_are_refused(bad: bytes) -> None:
    with pytest.raises(AudioSocketProtocolError):
        AudioSocketParser().feed(bad)


def test_audio_must_be_whole_samples_and_fit_one_message() -> None:
    with pytest.raises(ValueError):
        encode_audio(b"\x00\x00\x00")
    with pytest.raises(ValueError):
        encode_audio(b"\x00" * 70_000)


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed the connection (an end of stream, or a reset for the bytes it left unread)."""
    try:
        return await asyncio.wait_for(reader.read(), 5) == b""
    except ConnectionResetError:
        return True


async def test_the_server_hands_a_connection_to_whoever_expects_its_uuid() -> None:
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    try:
        waiting = server.expect(SESSION)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(encode_uuid(SESSION) + encode_audio(b"\x01\x00" * 160) + encode_dtmf("7"))
        stream = await asyncio.wait_for(waiting, 5)
        assert await stream.next_frame() == AudioFrame(b"\x01\x00" * 160)
        assert await stream.next_frame() == DtmfFrame("7")
        await stream.send_audio(b"\x00\x00" * 160)
        await stream.close()
        received = AudioSocketParser().feed(await reader.read())  # our audio, then the hang-up, then EOF
        assert received == [AudioFrame(b"\x00\x00" * 160), HangupFrame()]
        writer.close()
    finally:
        await server.close()


async def test_a_connection_nobody_expects_is_closed() -> None:
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(encode_uuid(SESSION) + encode_audio(b"\x00\x00" * 160))
        assert await closed_by_server(reader)
        writer.close()
    finally:
        await server.close()


async def test_a_peer_outside_the_allowed_networks_is_closed_unread() -> None:
    server = AudioSocketServer("127.0.0.1", 0, allowed_peers="10.9.9.9/32")
    await server.start()
    try:
        waiting = server.expect(SESSION)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(encode_uuid(SESSION))
        assert await closed_by_server(reader)
        assert not waiting.done()
        writer.close()
    finally:
        await server.close()
