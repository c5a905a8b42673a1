/**
 * Docker's `json-file` log entries encoded byte for byte as dockerd's jsonlog.JSONLogs.MarshalJSONBuf
 * writes them (the escaping rules are in jsonfile-writer.ts's header).
 */
import { formatRFC3339Nano } from './format.js';

const HEX = '0123456789abcdef';
let scratch = Buffer.allocUnsafe(64 * 1024);

/** Grows the shared scratch buffer to at least n bytes, keeping its content. */
function ensureScratch(n: number): void {
  if (scratch.length >= n) return;
  const next = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  scratch.copy(next);
  scratch = next;
}

function isCont(b: number | undefined): boolean {
  return b !== undefined && b >= 0x80 && b <= 0xbf;
}

/** Length of the valid UTF-8 sequence starting at s[i] (s[i] >= 0x80), or 0 when invalid (Go's DecodeRune rules). */
function utf8SeqLen(s: Uint8Array, i: number): number {
  const b0 = s[i];
  const b1 = s[i + 1];
  if (b0 >= 0xc2 && b0 <= 0xdf) return isCont(b1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (b1 === undefined) return 0;
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    if (b1 < lo || b1 > hi) return 0;
    return isCont(s[i + 2]) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (b1 === undefined) return 0;
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    if (b1 < lo || b1 > hi) return 0;
    return isCont(s[i + 2]) && isCont(s[i + 3]) ? 4 : 0;
  }
  return 0;
}

/** Writes `s` as a JSON string literal (with quotes) into scratch at `at`; returns the end offset. */
function writeJsonString(s: Uint8Array, at: number): number {
  ensureScratch(at + s.length * 6 + 2);
  const out = scratch;
  let o = at;
  out[o++] = 0x22;
  const putAscii = (str: string): void => {
    for (let k = 0; k < str.length; k++) out[o++] = str.charCodeAt(k);
  };
  let i = 0;
  while (i < s.length) {
    const b = s[i];
    if (b < 0x80) {
      if (b >= 0x20 && b !== 0x5c && b !== 0x22 && b !== 0x3c && b !== 0x3e && b !== 0x26) {
        out[o++] = b;
      } else if (b === 0x5c || b === 0x22) {
        out[o++] = 0x5c;
        out[o++] = b;
      } else if (b === 0x0a) {
        putAscii('\\n');
      } else if (b === 0x0d) {
        putAscii('\\r');
      } else {
        putAscii('\\u00');
        out[o++] = HEX.charCodeAt(b >> 4);
        out[o++] = HEX.charCodeAt(b & 0xf);
      }
      i++;
      continue;
    }
    const n = utf8SeqLen(s, i);
    if (n === 0) {
      putAscii('\\ufffd');
      i++;
      continue;
    }
    // U+2028 = E2 80 A8, U+2029 = E2 80 A9
    if (n === 3 && b === 0xe2 && s[i + 1] === 0x80 && (s[i + 2] === 0xa8 || s[i + 2] === 0xa9)) {
      putAscii(s[i + 2] === 0xa8 ? '\\u2028' : '\\u2029');
      i += 3;
      continue;
    }
    for (let k = 0; k < n; k++) out[o++] = s[i + k];
    i += n;
  }
  out[o++] = 0x22;
  return o;
}

/**
 * Encodes one json-file entry, newline-terminated, exactly as dockerd does
 * (`{"log":…,"stream":…,"time":…}\n`; `log` is omitted when empty).
 */
export function encodeLogEntry(stream: string, log: Uint8Array, timeNs: bigint): Buffer {
  let o = 0;
  ensureScratch(16);
  scratch[o++] = 0x7b; // {
  let first = true;
  const putAscii = (str: string): void => {
    ensureScratch(o + str.length);
    o += scratch.write(str, o, 'latin1');
  };
  if (log.length > 0) {
    first = false;
    putAscii('"log":');
    o = writeJsonString(log, o);
  }
  if (stream !== '') {
    if (!first) putAscii(',');
    first = false;
    putAscii('"stream":');
    o = writeJsonString(Buffer.from(stream, 'utf8'), o);
  }
  if (!first) putAscii(',');
  putAscii(`"time":"${formatRFC3339Nano(timeNs)}"}\n`);
  return Buffer.from(scratch.subarray(0, o));
}
