// Builders for Docker's JSON message stream lines (pull, push, load, import, build), shaped and
// ordered as the engine writes them: status, progressDetail, progress, id; errorDetail, error.

export interface ProgressDetail {
  current?: number;
  total?: number;
}

export interface JsonMessage {
  stream?: string;
  status?: string;
  progressDetail?: ProgressDetail;
  progress?: string;
  id?: string;
  errorDetail?: { code?: number; message: string };
  error?: string;
  aux?: unknown;
}

/**
 * JSON text as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 are escaped. Those
 * characters can only occur inside strings in JSON.stringify output, so a plain replace is safe.
 */
export function encodeJson(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const decimalUnits = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's `%.<precision>g`: significant digits, trailing zeros dropped. */
function formatG(value: number, precision: number): string {
  const text = value.toPrecision(precision);
  if (text.includes('e')) {
    const [mant, exp] = text.split('e');
    return `${stripZeros(mant)}e${exp[0]}${exp.slice(1).padStart(2, '0')}`;
  }
  return stripZeros(text);
}

function stripZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** go-units HumanSize: decimal units, 4 significant digits (`158B`, `19.97kB`, `1.984MB`, `2.13MB`). */
export function humanSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < decimalUnits.length - 1) {
    size /= 1000;
    i++;
  }
  return `${formatG(size, 4)}${decimalUnits[i]}`;
}

/**
 * The `progress` string the engine sends (its bar is drawn for a 200-column terminal):
 * `[==================================================>]     158B/158B`. No time estimate is added.
 */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const percent = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  const bar = `[${'='.repeat(Math.max(0, percent))}>${' '.repeat(Math.max(0, 50 - percent))}] `;
  const cur = humanSize(current).padStart(8);
  return current > total ? bar + cur : `${bar}${cur}/${humanSize(total)}`;
}

/** `{"status":"Downloading","progressDetail":{"current":1,"total":2},"progress":"[…]","id":"abc"}` */
export function progressMessage(id: string, status: string, current: number, total: number): JsonMessage {
  const msg: JsonMessage = { status, progressDetail: { current, total } };
  const bar = progressBar(current, total);
  if (bar) msg.progress = bar;
  msg.id = id;
  return msg;
}

/** `{"status":s}`, or `{"status":s,"progressDetail":{},"id":id}` when an id is given. */
export function statusMessage(status: string, id?: string): JsonMessage {
  return id === undefined ? { status } : { status, progressDetail: {}, id };
}

/** `{"errorDetail":{"code"?:c,"message":m},"error":m}`; docker-py needs `error`, the CLI `errorDetail`. */
export function errorMessage(message: string, code?: number): JsonMessage {
  const errorDetail: { code?: number; message: string } = code ? { code, message } : { message };
  return { errorDetail, error: message };
}

/** Alias of errorMessage for modules that also import errors.ts's errorMessage. */
export const jsonErrorMessage = errorMessage;

/** Build output: `{"stream":"Step 1/2 : FROM busybox\n"}`. */
export function streamMessage(text: string): JsonMessage {
  return { stream: text };
}

/** Auxiliary payload: build `{"aux":{"ID":"sha256:…"}}`, push `{"aux":{"Tag","Digest","Size"}}`. */
export function auxMessage(aux: unknown): JsonMessage {
  return { aux };
}

/** A stream of JSON lines to a client (progress of a pull, a push, a load, a build). */
export interface JsonStreamWriter {
  /** Write one value as a line; false means the connection buffer is full (wait for 'drain' on ctx.res). */
  write(value: unknown): boolean;
  /** Write the Docker error line (`{"errorDetail":{…},"error":…}`) and end the stream. */
  fail(message: string, code?: number): void;
  end(): void;
  /** True once ended or once the client went away. */
  readonly closed: boolean;
}
