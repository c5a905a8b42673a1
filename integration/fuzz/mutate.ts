// Input mutations in libFuzzer's spirit: bit flips, random and "interesting" bytes and integers,
// inserts, erases, copies inside the input, dictionary words, splices with another corpus entry; a
// structure-aware variant for JSON targets changes values, types and keys of a parsed document.
import { Rng } from '../rng.js';

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x2f, 0x2e, 0x30, 0x00];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 512, 1024, 4 << 20, (4 << 20) + 1, 0xffff];

export interface MutateOptions {
  maxLen: number;
  dict: readonly Buffer[];
  /** Another corpus entry to splice with. */
  other?: Buffer;
}

function mutateOnce(rng: Rng, data: Buffer, o: MutateOptions): Buffer {
  const len = data.length;
  switch (rng.int(12)) {
    case 0: {
      if (len === 0) break;
      const out = Buffer.from(data);
      const i = rng.int(len);
      out[i] ^= 1 << rng.int(8);
      return out;
    }
    case 1: {
      if (len === 0) break;
      const out = Buffer.from(data);
      out[rng.int(len)] = rng.int(256);
      return out;
    }
    case 2: {
      if (len === 0) break;
      const out = Buffer.from(data);
      out[rng.int(len)] = rng.pick(INTERESTING_8);
      return out;
    }
    case 3: {
      if (len < 4) break;
      const out = Buffer.from(data);
      const i = rng.int(len - 3);
      const v = rng.pick(INTERESTING_32) >>> 0;
      if (rng.bool()) out.writeUInt32BE(v, i);
      else out.writeUInt32LE(v, i);
      return out;
    }
    case 4: {
      const n = 1 + rng.int(Math.min(16, o.maxLen));
      const ins = Buffer.alloc(n);
      for (let k = 0; k < n; k++) ins[k] = rng.int(256);
      const at = rng.int(len + 1);
      return Buffer.concat([data.subarray(0, at), ins, data.subarray(at)]);
    }
    case 5: {
      if (len === 0) break;
      const at = rng.int(len);
      const n = 1 + rng.int(Math.min(len - at, 64));
      return Buffer.concat([data.subarray(0, at), data.subarray(at + n)]);
    }
    case 6: {
      if (len === 0) break;
      const from = rng.int(len);
      const n = 1 + rng.int(Math.min(len - from, 512));
      const at = rng.int(len + 1);
      return Buffer.concat([data.subarray(0, at), data.subarray(from, from + n), data.subarray(at)]);
    }
    case 7:
    case 8: {
      if (o.dict.length === 0) break;
      const word = rng.pick(o.dict);
      const at = rng.int(len + 1);
      if (rng.bool() && at + word.length <= len) {
        const out = Buffer.from(data);
        word.copy(out, at);
        return out;
      }
      return Buffer.concat([data.subarray(0, at), word, data.subarray(at)]);
    }
    case 9: {
      if (!o.other || o.other.length === 0 || len === 0) break;
      const a = rng.int(len);
      const b = rng.int(o.other.length);
      return Buffer.concat([data.subarray(0, a), o.other.subarray(b)]);
    }
    case 10: {
      if (len === 0) break;
      return data.subarray(0, rng.int(len));
    }
    case 11: {
      // A run of one byte (NUL padding, long names, long numbers).
      const n = 1 + rng.int(rng.bool() ? 16 : 600);
      const at = rng.int(len + 1);
      return Buffer.concat([
        data.subarray(0, at),
        Buffer.alloc(n, rng.pick([0, 0x41, 0x2f, 0x39, 0x20])),
        data.subarray(at),
      ]);
    }
  }
  const out = Buffer.from(data);
  if (out.length > 0) out[rng.int(out.length)] ^= 0xff;
  return out.length > 0 ? out : Buffer.from([rng.int(256)]);
}

export function mutateBytes(rng: Rng, data: Buffer, o: MutateOptions): Buffer {
  let out = data;
  const rounds = 1 + rng.int(4);
  for (let i = 0; i < rounds; i++) out = mutateOnce(rng, out, o);
  return out.length > o.maxLen ? out.subarray(0, o.maxLen) : out;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A random JSON value, biased towards what validation code trips on. */
function randomValue(rng: Rng, words: readonly string[], depth: number): Json {
  switch (rng.int(depth > 2 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return rng.bool();
    case 2:
      return rng.pick([0, -1, 1, 1.5, -0.5, 1e308, -1e308, 2 ** 53, 2 ** 31, 2 ** 32, 6 * 1024 * 1024 - 1]);
    case 3:
      return rng.int(100000);
    case 4:
      return rng.pick(words);
    case 5:
      return rng.pick(['', ':', '::', '=', 'a=b', '/', '..', '-1', '0x10', '1e3', '\u0000', 'a'.repeat(300)]);
    case 6:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, words, depth + 1));
    case 7:
      return Object.fromEntries(
        Array.from({ length: rng.int(4) }, () => [rng.pick(words), randomValue(rng, words, depth + 1)]),
      );
    default:
      return {};
  }
}

function mutateJsonValue(rng: Rng, v: Json, words: readonly string[], depth: number): Json {
  if (Array.isArray(v)) {
    if (v.length === 0 || rng.int(4) === 0) return [...v, randomValue(rng, words, depth + 1)];
    const out = [...v];
    const i = rng.int(out.length);
    if (rng.int(5) === 0) out.splice(i, 1);
    else out[i] = mutateJsonValue(rng, out[i], words, depth + 1);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out = { ...v };
    const keys = Object.keys(out);
    const r = rng.int(6);
    if (keys.length === 0 || r === 0) out[rng.pick(words)] = randomValue(rng, words, depth + 1);
    else if (r === 1) delete out[rng.pick(keys)];
    else {
      const k = rng.pick(keys);
      out[k] = mutateJsonValue(rng, out[k], words, depth + 1);
    }
    return out;
  }
  if (rng.int(3) === 0) return randomValue(rng, words, depth);
  if (typeof v === 'string' && v.length > 0 && rng.bool()) {
    const i = rng.int(v.length + 1);
    return (
      v.slice(0, i) + rng.pick([':', '/', '=', ',', '..', '-', '%', ' ', '\n', rng.pick(words)]) + v.slice(i)
    );
  }
  if (typeof v === 'number') return rng.pick([-v, v + 1, v * 1024, Math.floor(v / 2), v - 1]);
  return randomValue(rng, words, depth);
}

/** Mutates a JSON document (falls back to bytes when the input does not parse). */
export function mutateJson(rng: Rng, data: Buffer, o: MutateOptions, words: readonly string[]): Buffer {
  let doc: Json;
  try {
    doc = JSON.parse(data.toString('utf8')) as Json;
  } catch {
    return mutateBytes(rng, data, o);
  }
  if (rng.int(10) === 0) return mutateBytes(rng, data, o);
  const rounds = 1 + rng.int(3);
  for (let i = 0; i < rounds; i++) doc = mutateJsonValue(rng, doc, words, 0);
  const out = Buffer.from(JSON.stringify(doc));
  return out.length > o.maxLen ? data : out;
}
