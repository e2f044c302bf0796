"""StreamState rebuilds exactly what JsonStream / ModelStream give, however the stream arrives.

For random documents and random models, any chunking, any point of
disconnect and resume (from the replay log, or from a snapshot when the log
no longer holds the asked id), and duplicates on resume: the client's value
and field states equal the parser's at every chunk boundary it is connected
for, and at the end.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import midstream
from helpers import cpu_in_turns, split_points
from midstream import JsonStream, ModelStream, ParseError
from midstream.web import Channel, Encoder, ReplayLog, StreamState
from strategies import json_documents
from test_model_stream import dumps, model_specs
from web_helpers import Reference, decode_frames, field_states


def deliver(make: Any, chunks: list[str], *, drop_at: int, away: int, back: int,
            log_size: int) -> None:
    """Stream ``chunks`` to one client that drops after chunk ``drop_at``.

    It stays away for ``away`` chunks and comes back with an id ``back``
    messages older than its last (duplicates it must drop).
    """
    parser = make()
    reference = Reference()
    channel = Channel(ReplayLog(max_messages=log_size))
    encoder = Encoder()
    client = StreamState()
    buffer: Any = channel.attach(None)

    def publish(events: list[Any]) -> None:
        reference.see(events)
        channel.publish(encoder.encode(events))

    def read() -> None:
        for msg in decode_frames(buffer.take()):
            client.apply(msg)

    try:
        for i, chunk in enumerate([*chunks, None]):
            publish(parser.feed(chunk) if chunk is not None else parser.close())
            if buffer is None and i >= drop_at + away:
                buffer = channel.attach(max(0, client.seq - back))
            if buffer is not None:
                read()
                assert client.value == reference.value(parser)
                assert field_states(client) == reference.fields
            if i == drop_at:
                channel.detach(buffer)
                buffer = None
    except (ParseError, ValueError):  # a document the model rejects at close(): what came stands
        pass
    channel.publish([encoder.end()])
    if buffer is None:
        buffer = channel.attach(max(0, client.seq - back))
    read()
    assert client.ended
    assert client.seq == channel.last_seq
    assert client.value == reference.value(parser)
    assert field_states(client) == reference.fields


resume = st.fixed_dictionaries({
    "drop_at": st.integers(0, 40), "away": st.integers(0, 10),
    "back": st.integers(0, 5), "log_size": st.sampled_from([1, 3, 10_000]),
})


@given(st.data(), json_documents())
def test_json_documents_any_chunking_any_resume(data: st.DataObject, text: str) -> None:
    chunks = data.draw(split_points(text))
    deliver(JsonStream, chunks, **data.draw(resume))


@settings(max_examples=60)
@given(st.data())
def test_random_models_any_chunking_any_resume(data: st.DataObject) -> None:
    spec = data.draw(model_specs())
    value = data.draw(spec.valid() | spec.invalid() if data.draw(st.booleans()) else spec.valid())
    text = data.draw(dumps(value))
    chunks = data.draw(split_points(text))
    deliver(lambda: ModelStream(spec.model()), chunks, **data.draw(resume))


def test_snapshot_when_the_asked_id_is_gone() -> None:
    channel = Channel(ReplayLog(max_messages=2))
    encoder = Encoder()
    parser = JsonStream()
    channel.publish(encoder.encode(parser.feed('{"a": "xy", "b": [1, 2')))
    frames = channel.attach(1).take()
    (msg,) = decode_frames(frames)
    assert msg["type"] == "snapshot" and msg["seq"] == channel.last_seq
    assert msg["value"] == {"a": "xy", "b": [1]}
    assert msg["protocol"] == midstream.web.PROTOCOL
    # an id still in the log gives the frames after it, nothing else
    kept = decode_frames(channel.attach(channel.last_seq - 1).take())
    assert [m["seq"] for m in kept] == [channel.last_seq]


def test_bytes_grow_linearly_and_nothing_is_resent() -> None:
    """A long string costs its own length once, plus a bounded frame per piece."""
    def size(n: int) -> int:
        encoder = Encoder()
        parser = JsonStream()
        text = json.dumps({"s": "word " * n, "items": [{"k": i} for i in range(n)]})
        total = 0
        for i in range(0, len(text), 4):
            total += sum(len(midstream.web.sse_frame(m)) for m in
                         encoder.encode(parser.feed(text[i:i + 4])))
        return total

    small, big = size(200), size(2000)
    assert big < 10.5 * small  # linear: ten times the document, about ten times the bytes


def test_validated_value_only_when_it_differs() -> None:
    from pydantic import BaseModel

    class M(BaseModel):
        n: int
        s: str
        xs: list[int]

    encoder = Encoder()
    msgs = encoder.encode(ModelStream(M).feed('{"n": 1.0, "s": "a", "xs": [1]}'))
    valid = {tuple(m["path"]): m for m in msgs if m["type"] == "valid"}
    assert valid[("n",)]["value"] == 1  # 1.0 coerced: sent
    assert "value" not in valid[("s",)] and "value" not in valid[("xs",)]
    assert "value" not in valid[()]  # a container is never resent


def test_applying_a_long_string_is_linear() -> None:
    """Each append costs its own size: ten times the pieces, about ten times the time."""
    def appends(n: int) -> list[dict[str, object]]:
        head = [{"type": "start", "seq": 1, "path": [], "kind": "object"},
                {"type": "start", "seq": 2, "path": ["s"], "kind": "string"}]
        return head + [{"type": "append", "seq": i + 3, "path": ["s"], "text": "abcd"}
                       for i in range(n)]

    def apply_all(msgs: list[dict[str, object]]) -> None:
        state = StreamState()
        for msg in msgs:
            state.apply(msg)
        assert len(state.value["s"]) == 4 * (len(msgs) - 2)

    small, big = appends(20_000), appends(200_000)
    t_big, t_small = cpu_in_turns(lambda: apply_all(big), lambda: apply_all(small), rounds=3)
    ratio = t_big / t_small
    assert ratio < 30  # linear gives 10; re-joining the string on every append gives 100+
