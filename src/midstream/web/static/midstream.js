// midstream.js: the browser client of midstream-events/1 (see docs/protocol.md).
// Dependency-free ES module. Each message is applied in place, at a cost
// proportional to the message (a path walked once, a string grown by its new
// text); nothing is ever re-parsed. Duplicates are dropped by sequence number,
// a snapshot starts over, and a dropped connection is resumed with Last-Event-ID.

export const PROTOCOL = "midstream-events/1";

const EMPTY = { object: () => ({}), array: () => [], string: () => "" };

/** The value, field states and other content of one stream, rebuilt from its messages. */
export class StreamState {
  constructor() {
    this.seq = 0;
    this.streams = new Map();
    this.reset();
  }

  reset() {
    this.value = null;
    this.fields = new Map(); // JSON.stringify(path) -> {path, state, errors?, value?}
    this.text = {};
    this.tools = new Map(); // "choice,index" -> {call, id, name, text, state, arguments?, error?}
    this.code = new Map(); // index -> {index, lang, info, text, state, closed?, error?}
    this.items = new Map(); // index -> {index, state, value?, errors?, error?}
    this.units = [];
    this.ended = false;
    this.truncated = null;
    this.error = null;
    this.finish = null;
    this.usage = null;
  }

  /** The state of the value at `path` (an array), or undefined. */
  field(path) {
    return this.fields.get(JSON.stringify(path));
  }

  /** Apply one message; false when it was a duplicate. */
  apply(msg) {
    if (msg.type === "snapshot") {
      if (msg.seq < this.seq) return false;
      this.load(msg);
      this.streams = new Map();
      for (const [tag, body] of Object.entries(msg.streams || {})) {
        const s = new StreamState();
        s.load(body);
        this.streams.set(tag, s);
      }
    } else {
      if (msg.seq <= this.seq) return false;
      let target = this;
      if (msg.stream !== undefined && msg.stream !== null) {
        target = this.streams.get(msg.stream);
        if (!target) this.streams.set(msg.stream, (target = new StreamState()));
      }
      target.applyBody(msg);
    }
    this.seq = msg.seq;
    return true;
  }

  applyBody(msg) {
    const t = msg.type;
    switch (t) {
      case "append": {
        const [parent, key] = this.locate(msg.path);
        if (parent === null) this.value += msg.text;
        else parent[key] += msg.text;
        break;
      }
      case "start":
        if (msg.kind in EMPTY) this.place(msg.path, EMPTY[msg.kind]());
        this.setField(msg.path, { state: "partial" });
        break;
      case "set":
        this.place(msg.path, msg.value);
        this.setField(msg.path, { state: "complete" });
        break;
      case "done":
        this.setField(msg.path, { state: "complete" });
        break;
      case "valid": {
        const f = { state: "valid" };
        if (msg.value !== undefined) f.value = msg.value;
        this.setField(msg.path, f);
        break;
      }
      case "invalid":
        this.setField(msg.path, { state: "invalid", errors: msg.errors });
        break;
      case "text": {
        const channel = msg.channel || "content";
        this.text[channel] = (this.text[channel] || "") + msg.text;
        break;
      }
      case "tool_start":
        this.tools.set(String(msg.call), { call: msg.call, id: msg.id, name: msg.name, text: "", state: "partial" });
        break;
      case "tool_append":
      case "tool_done":
      case "tool_error": {
        const key = String(msg.call);
        let call = this.tools.get(key);
        if (!call) this.tools.set(key, (call = { call: msg.call, id: null, name: "", text: "", state: "partial" }));
        if (t === "tool_append") call.text += msg.text;
        else if (t === "tool_done") { call.state = "complete"; call.arguments = msg.arguments; }
        else { call.state = "invalid"; call.error = msg.error; }
        break;
      }
      case "code_start":
        this.code.set(msg.index, { index: msg.index, lang: msg.lang, info: msg.info, text: "", state: "partial" });
        break;
      case "code_append":
      case "code_done": {
        let block = this.code.get(msg.index);
        if (!block) this.code.set(msg.index, (block = { index: msg.index, lang: null, info: "", text: "", state: "partial" }));
        if (t === "code_append") block.text += msg.text;
        else {
          block.state = msg.error === null ? "complete" : "invalid";
          block.closed = msg.closed;
          block.error = msg.error;
        }
        break;
      }
      case "item":
        this.items.set(msg.index, { index: msg.index, state: "complete", value: msg.value });
        break;
      case "item_invalid":
        this.items.set(msg.index, { index: msg.index, state: "invalid", errors: msg.errors });
        break;
      case "item_error":
        this.items.set(msg.index, { index: msg.index, state: "invalid", error: msg.error });
        break;
      case "item_abandoned":
        this.items.delete(msg.index);
        break;
      case "unit":
        this.units.push([msg.kind, msg.text]);
        break;
      case "finish":
        this.finish = msg.reason;
        break;
      case "usage": {
        const { type, seq, stream, ...usage } = msg;
        this.usage = usage;
        break;
      }
      case "truncated":
        this.truncated = msg.reason || "unfinished";
        break;
      case "error":
        this.error = { message: msg.message, error_type: msg.error_type ?? null };
        break;
      case "end":
        this.ended = true;
        break;
      default: // a newer server may say more than this client knows
    }
  }

  setField(path, field) {
    field.path = path;
    this.fields.set(JSON.stringify(path), field);
  }

  /** [parent container, key] of a path; [null, null] for the root. */
  locate(path) {
    if (path.length === 0) return [null, null];
    let node = this.value;
    for (let i = 0; i < path.length - 1; i++) node = node[path[i]];
    return [node, path[path.length - 1]];
  }

  place(path, value) {
    const [parent, key] = this.locate(path);
    if (parent === null) this.value = value;
    else parent[key] = value; // an array's next index appends
  }

  load(body) {
    this.reset();
    this.value = body.value === undefined ? null : body.value;
    for (const f of body.fields || []) this.fields.set(JSON.stringify(f.path), { ...f });
    this.text = { ...(body.text || {}) };
    for (const call of body.tools || []) this.tools.set(String(call.call), { ...call });
    for (const block of body.code || []) this.code.set(block.index, { ...block });
    for (const item of body.items || []) this.items.set(item.index, { ...item });
    this.units = (body.units || []).map((u) => [u[0], u[1]]);
    this.truncated = body.truncated ?? null;
    this.error = body.error ?? null;
    this.finish = body.finish ?? null;
    this.usage = body.usage ?? null;
    this.ended = Boolean(body.ended);
  }
}

/** Incremental server-sent events parsing (WHATWG): feed text, get {event, data, id}. */
export class SSEParser {
  constructor() {
    this.buffer = "";
    this.event = "";
    this.data = [];
    this.id = null;
    this.retry = null;
  }

  feed(text) {
    const out = [];
    this.buffer += text;
    let start = 0;
    for (;;) {
      let end = -1, next = -1;
      for (let i = start; i < this.buffer.length; i++) {
        const c = this.buffer.charCodeAt(i);
        if (c === 10) { end = i; next = i + 1; break; }
        if (c === 13) {
          if (i + 1 === this.buffer.length) break; // a CR LF may be split: wait
          end = i; next = this.buffer.charCodeAt(i + 1) === 10 ? i + 2 : i + 1; break;
        }
      }
      if (end < 0) break;
      this.line(this.buffer.slice(start, end), out);
      start = next;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  line(line, out) {
    if (line === "") {
      if (this.data.length) out.push({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
      this.event = "";
      this.data = [];
      return;
    }
    if (line.charCodeAt(0) === 58) return; // a comment (heartbeat)
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (name === "data") this.data.push(value);
    else if (name === "event") this.event = value;
    else if (name === "id" && !value.includes("\0")) this.id = value;
    else if (name === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

/**
 * Read a midstream-events/1 stream with fetch (GET or POST), resuming after a drop.
 *
 * options: method, body, headers, fetch, onUpdate(state, messages) after each
 * batch of messages applied, onMessage(msg), retry (ms, default 1000),
 * maxRetries (default 10), signal (an AbortSignal).
 * Returns {state, done, close}: `done` resolves with the state at `end`.
 */
export function connect(url, options = {}) {
  const state = options.state || new StreamState();
  const doFetch = options.fetch || globalThis.fetch.bind(globalThis);
  const controller = new AbortController();
  if (options.signal) options.signal.addEventListener("abort", () => controller.abort());
  let retry = options.retry ?? 1000;
  const maxRetries = options.maxRetries ?? 10;
  let started = false;

  async function once() {
    const headers = { Accept: "text/event-stream", ...(options.headers || {}) };
    if (started) headers["Last-Event-ID"] = String(state.seq);
    const response = await doFetch(url, {
      method: options.method || "GET", body: options.body, headers, signal: controller.signal,
      cache: "no-store",
    });
    if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { fatal: response.status < 500 });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SSEParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const applied = [];
      for (const ev of parser.feed(decoder.decode(value, { stream: true }))) {
        const msg = JSON.parse(ev.data);
        if (options.onMessage) options.onMessage(msg);
        if (state.apply(msg)) applied.push(msg);
        started = true;
      }
      if (parser.retry !== null) retry = parser.retry;
      if (applied.length && options.onUpdate) options.onUpdate(state, applied);
      if (state.ended) {
        controller.abort();
        return;
      }
    }
  }

  const done = (async () => {
    let failures = 0;
    for (;;) {
      try {
        await once();
        if (state.ended) return state;
      } catch (err) {
        if (state.ended) return state;
        if (controller.signal.aborted || err.fatal || ++failures > maxRetries) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, retry));
    }
  })();
  return { state, done, close: () => controller.abort() };
}
