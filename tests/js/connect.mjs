// connect() against a fake fetch: a POST whose first response is cut mid-stream
// (in the middle of a message), resumed with Last-Event-ID, with repeats to drop.
// stdin: {"frames": [sse text of each message], "cut": n, "back": k}
// stdout: {"value", "seq", "requests": [[method, body, last-event-id]], "updates"}
import { readFileSync } from "node:fs";
import { connect } from "../../src/midstream/web/static/midstream.js";

const input = JSON.parse(readFileSync(0, "utf8"));
const frames = input.frames;
const requests = [];

function body(text, fail) {
  const bytes = new TextEncoder().encode(text);
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      // in pieces of 7 bytes: messages and UTF-8 characters split across reads
      if (i < bytes.length) {
        controller.enqueue(bytes.slice(i, i + 7));
        i += 7;
      } else if (fail) controller.error(new TypeError("network error"));
      else controller.close();
    },
  });
}

async function fakeFetch(url, init) {
  const last = init.headers["Last-Event-ID"] ?? null;
  requests.push([init.method, init.body, last]);
  if (last === null) {
    const sent = frames.slice(0, input.cut).join("");
    const half = frames[input.cut].slice(0, 20); // a message cut in two
    return new Response(body(sent + half, true), { status: 200 });
  }
  // the server resends from a little before the client's id: the client drops those
  const from = Math.max(0, Number(last) - input.back);
  return new Response(body(": ping\n\n" + frames.slice(from).join(""), false), { status: 200 });
}

let updates = 0;
const conn = connect("/answer", {
  method: "POST", body: "{\"q\": 1}", fetch: fakeFetch, retry: 1,
  onUpdate: () => { updates += 1; },
});
const state = await conn.done;
process.stdout.write(JSON.stringify({ value: state.value, seq: state.seq, requests, updates,
  fields: [...state.fields.values()].map((f) => [f.path, f.state]) }));
