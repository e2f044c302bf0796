// Types of midstream.js, the browser client of midstream-events/1.

export const PROTOCOL: "midstream-events/1";

export type Path = (string | number)[];
export type FieldStateName = "partial" | "complete" | "valid" | "invalid";

export interface FieldState {
  path: Path;
  state: FieldStateName;
  /** pydantic's errors, when invalid. */
  errors?: { type: string; loc: Path; msg: string }[];
  /** The validated value, when validation changed it. */
  value?: unknown;
}

/** One protocol message: always `type` and `seq`; the rest depends on the type. */
export interface Message {
  type: string;
  seq: number;
  stream?: string;
  [field: string]: unknown;
}

export interface ToolCall {
  call: [number, number];
  id: string | null;
  name: string;
  text: string;
  state: "partial" | "complete" | "invalid";
  arguments?: unknown;
  error?: string;
}

export interface CodeBlock {
  index: number;
  lang: string | null;
  info: string;
  text: string;
  state: "partial" | "complete" | "invalid";
  closed?: boolean;
  error?: string | null;
}

export interface Item {
  index: number;
  state: "complete" | "invalid";
  value?: unknown;
  errors?: { type: string; loc: Path; msg: string }[];
  error?: string;
}

export class StreamState {
  seq: number;
  value: unknown;
  fields: Map<string, FieldState>;
  text: { content?: string; refusal?: string; reasoning?: string };
  tools: Map<string, ToolCall>;
  code: Map<number, CodeBlock>;
  items: Map<number, Item>;
  units: [string, string][];
  ended: boolean;
  truncated: string | null;
  error: { message: string; error_type: string | null } | null;
  finish: string | null;
  usage: Record<string, unknown> | null;
  streams: Map<string, StreamState>;
  field(path: Path): FieldState | undefined;
  /** Apply one message; false when it was a duplicate. */
  apply(message: Message): boolean;
}

export class SSEParser {
  retry: number | null;
  feed(text: string): { event: string; data: string; id: string | null }[];
}

export interface ConnectOptions {
  method?: string;
  body?: BodyInit | null;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  state?: StreamState;
  onUpdate?: (state: StreamState, applied: Message[]) => void;
  onMessage?: (message: Message) => void;
  /** Milliseconds before a reconnect (the server's `retry:` wins). Default 1000. */
  retry?: number;
  /** Reconnects after failures in a row before giving up. Default 10. */
  maxRetries?: number;
  signal?: AbortSignal;
}

export interface Connection {
  state: StreamState;
  /** Resolves with the state once the stream's `end` arrived. */
  done: Promise<StreamState>;
  close(): void;
}

export function connect(url: string, options?: ConnectOptions): Connection;
