// Applies message sequences with midstream.js and prints each final state as JSON,
// for tests/test_web_js.py to compare with Python's StreamState.
// stdin: {"cases": [[message, ...], ...]}; stdout: [state, ...]
import { readFileSync } from "node:fs";
import { StreamState, SSEParser } from "../../src/midstream/web/static/midstream.js";

function plain(state) {
  const fields = [...state.fields.values()].map((f) => [f.path, f.state, f.errors ?? null]);
  const streams = {};
  for (const [tag, s] of state.streams) streams[tag] = plain(s);
  return {
    seq: state.seq, value: state.value, fields, text: state.text,
    tools: [...state.tools.values()].map((c) => [c.call, c.id, c.name, c.text, c.state, c.arguments ?? null]),
    code: [...state.code.values()].map((b) => [b.index, b.lang, b.text, b.state]),
    items: [...state.items.values()].map((i) => [i.index, i.state, i.value ?? null]),
    units: state.units, ended: state.ended, truncated: state.truncated, streams,
  };
}

const input = JSON.parse(readFileSync(0, "utf8"));
const out = input.cases.map((messages) => {
  const state = new StreamState();
  const applied = messages.map((m) => state.apply(m));
  return { state: plain(state), applied };
});
// The SSE parser on frames cut anywhere: every message back, in order.
const sse = (input.sse || []).map((pieces) => {
  const parser = new SSEParser();
  return pieces.flatMap((p) => parser.feed(p)).map((e) => [e.event, e.id, JSON.parse(e.data)]);
});
process.stdout.write(JSON.stringify({ out, sse }));
