// Renders an event the way ctr prints it: decoded by its type URL, snake_case keys, empty fields left out.
import { decodeEvent } from '../api/events.js';

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isTimestamp(v: object): v is { seconds: number; nanos: number } {
  const keys = Object.keys(v);
  return keys.length === 2 && 'seconds' in v && 'nanos' in v;
}

function render(v: unknown): unknown {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return undefined;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array)
    return v.length > 0 ? Buffer.from(v).toString('base64') : undefined;
  if (Array.isArray(v)) {
    const items = v.map(render);
    return items.length > 0 ? items : undefined;
  }
  if (typeof v === 'object') {
    if (isTimestamp(v)) {
      const ms = v.seconds * 1000 + Math.floor(v.nanos / 1e6);
      return new Date(ms).toISOString().replace(/\.\d+Z$/, `.${String(v.nanos).padStart(9, '0')}Z`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const r = render(x);
      if (r !== undefined) out[k === 'typeUrl' ? 'type_url' : snake(k)] = r;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return v;
}

export function describeEvent(any: { typeUrl: string; value: Uint8Array }): unknown {
  const decoded = decodeEvent(any);
  if (!decoded) return { type_url: any.typeUrl };
  return render(decoded) ?? {};
}
