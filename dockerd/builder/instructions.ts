// The metadata instructions as pure functions over an image's Config: argument forms (JSON, shell,
// `k=v` pairs and the legacy `k v`), Docker's expansion, and the text dockerd records in history
// (`/bin/sh -c #(nop)  ENV a=b`).
import { InvalidParameter } from '../errdefs/index.js';
import type { HealthConfig } from '../backend/types.js';
import type { Instruction } from './parse.js';
import { type EnvLookup, processWord, splitWords } from './shell-lex.js';

/** Go's %q of a []string: `["a" "b"]`. */
export function goQuoteList(l: string[]): string {
  return `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** `k=v` pairs (ENV, LABEL): words split on unquoted blanks, values expanded; legacy `k v…` too. */
export function keyValues(ins: Instruction, env: EnvLookup, escape: string): Array<[string, string]> {
  const words = splitWords(ins.args, escape);
  if (words.length === 0) throw new InvalidParameter(`${ins.keyword} requires at least one argument`);
  if (!words[0].includes('=')) {
    if (words.length < 2 && ins.keyword !== 'LABEL')
      throw new InvalidParameter(`${ins.keyword} must have two arguments`);
    const rest = ins.args.slice(ins.args.indexOf(words[0]) + words[0].length).trim();
    return [[processWord(words[0], env, escape), processWord(rest, env, escape)]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0)
      throw new InvalidParameter(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return [processWord(w.slice(0, i), env, escape), processWord(w.slice(i + 1), env, escape)];
  });
}

/** Sets `k=v` in an env list, replacing an entry of the same name in place. */
export function setEnv(list: string[], k: string, v: string): string[] {
  const out = [...list];
  const i = out.findIndex((kv) => kv.split('=')[0] === k);
  if (i >= 0) out[i] = `${k}=${v}`;
  else out.push(`${k}=${v}`);
  return out;
}

/** CMD, ENTRYPOINT, RUN: the JSON form as is, the shell form through the shell. */
export function commandOf(ins: Instruction, shell: string[]): string[] {
  if (ins.json) return ins.json;
  return ins.args ? [...shell, ins.args] : [];
}

/** EXPOSE's ports: `80`, `80/udp`, `8000-8002` (each `port/proto`). */
export function exposedPorts(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const [ports, proto = 'tcp'] = w.split('/');
    if (!/^(tcp|udp|sctp)$/i.test(proto)) throw new InvalidParameter(`invalid proto: ${proto}`);
    const m = /^(\d+)(?:-(\d+))?$/.exec(ports);
    if (!m) throw new InvalidParameter(`invalid containerPort: ${ports}`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    // Ports are 16-bit (Go's ParseUint(p, 10, 16)): `1-4294967295` is refused, not expanded.
    if (a > 65535 || b > 65535) throw new InvalidParameter(`invalid containerPort: ${ports}`);
    if (b < a) throw new InvalidParameter(`invalid range specified for containerPort: ${ports}`);
    for (let p = a; p <= b; p++) out.push(`${p}/${proto.toLowerCase()}`);
  }
  return out;
}

/** Go's time.ParseDuration for HEALTHCHECK's flags (ns). */
export function parseDuration(name: string, v: string | undefined): number {
  if (v === undefined || v === '') return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12 };
  let rest = v;
  let total = 0;
  if (rest === '0') return 0;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) throw new InvalidParameter(`time: invalid duration "${v}"`);
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  const ns = Math.round(total);
  if (ns !== 0 && ns < 1e6) throw new InvalidParameter(`Interval "${name}" cannot be less than 1ms`);
  return ns;
}

/** Go's Duration.String (`5s`, `1m30s`, `0s`). */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e9) return ns % 1e6 === 0 ? `${ns / 1e6}ms` : `${ns / 1e3}µs`;
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const sec = `${Number(s.toFixed(9))}s`;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${sec}`;
}

export function healthcheck(ins: Instruction, shell: string[]): HealthConfig {
  const words = ins.args.split(/\s+/);
  const kind = (words[0] ?? '').toUpperCase();
  if (kind === 'NONE') {
    if (words.length > 1 && words[1] !== '')
      throw new InvalidParameter('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (kind !== 'CMD') throw new InvalidParameter(`Unknown type "${kind}" in HEALTHCHECK (try CMD)`);
  const rest = ins.args.slice(words[0].length).trim();
  let test: string[];
  try {
    const v: unknown = JSON.parse(rest);
    test =
      Array.isArray(v) && v.every((x) => typeof x === 'string')
        ? ['CMD', ...(v as string[])]
        : ['CMD-SHELL', rest];
  } catch {
    test = ['CMD-SHELL', rest];
  }
  void shell;
  const flag = (n: string) => ins.flags.find((f) => f.name === n)?.value;
  for (const f of ins.flags) {
    if (!['interval', 'timeout', 'start-period', 'retries'].includes(f.name))
      throw new InvalidParameter(`Unknown flag: ${f.name}`);
  }
  const retries = flag('retries');
  if (retries !== undefined && !/^\d+$/.test(retries))
    throw new InvalidParameter(`strconv.ParseInt: parsing "${retries}": invalid syntax`);
  const hc: HealthConfig = { Test: test };
  const interval = parseDuration('interval', flag('interval'));
  const timeout = parseDuration('timeout', flag('timeout'));
  const start = parseDuration('start-period', flag('start-period'));
  if (interval) hc.Interval = interval;
  if (timeout) hc.Timeout = timeout;
  if (start) hc.StartPeriod = start;
  if (retries && Number(retries) > 0) hc.Retries = Number(retries);
  return hc;
}

/** dockerd's history text for a HEALTHCHECK (Go's %q of the struct). */
export function healthText(hc: HealthConfig): string {
  const r = hc.Retries ?? 0;
  const rq = r >= 32 && r < 127 ? `'${String.fromCharCode(r)}'` : `'\\x${r.toString(16).padStart(2, '0')}'`;
  return `HEALTHCHECK &{${goQuoteList(hc.Test ?? [])} "${goDuration(hc.Interval ?? 0)}" "${goDuration(hc.Timeout ?? 0)}" "${goDuration(hc.StartPeriod ?? 0)}" ${rq}}`;
}
