// Route table and path matcher. Patterns are literal segments plus `{name}` (exactly one segment) and
// `{name:.*}` (one or more segments, slashes included, at most one per pattern). Static routes win over
// patterned ones, single-segment parameters over greedy ones, then the order of the table decides.

import type { RequestContext } from './context.js';
import type { BodySchema } from '../wire/body-schema.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';

export type Handler = (ctx: RequestContext) => void | Promise<void>;

export interface Route {
  method: Method;
  path: string;
  handler: Handler;
  /** The JSON body's shape: checked by the server before the handler runs (400 if it does not fit). */
  body?: BodySchema;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

type Segment =
  { kind: 'literal'; text: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

interface Compiled {
  route: Route;
  segments: Segment[];
  greedyAt: number; // index of the greedy segment, -1 if none
  order: number;
}

function compile(route: Route, order: number): Compiled {
  if (!route.path.startsWith('/')) throw new Error(`route path must start with '/': ${route.path}`);
  const segments: Segment[] = route.path
    .slice(1)
    .split('/')
    .map((part): Segment => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)(:\.\*)?\}$/.exec(part);
      if (m) return m[2] ? { kind: 'greedy', name: m[1] } : { kind: 'param', name: m[1] };
      if (part.includes('{') || part.includes('}'))
        throw new Error(`unsupported route segment '${part}' in ${route.path}`);
      return { kind: 'literal', text: part };
    });
  const greedy = segments.filter((s) => s.kind === 'greedy').length;
  if (greedy > 1) throw new Error(`at most one greedy parameter per route: ${route.path}`);
  return { route, segments, greedyAt: segments.findIndex((s) => s.kind === 'greedy'), order };
}

/** Sort key: fewer greedy params, then fewer params, then more literal segments, then table order. */
function precedence(a: Compiled, b: Compiled): number {
  const count = (c: Compiled, kind: Segment['kind']): number =>
    c.segments.filter((s) => s.kind === kind).length;
  return (
    count(a, 'greedy') - count(b, 'greedy') ||
    count(a, 'param') - count(b, 'param') ||
    count(b, 'literal') - count(a, 'literal') ||
    a.order - b.order
  );
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function matchOne(c: Compiled, parts: string[]): Record<string, string> | undefined {
  const { segments, greedyAt } = c;
  if (greedyAt < 0 ? parts.length !== segments.length : parts.length < segments.length) return undefined;
  const params: Record<string, string> = {};
  const tail = segments.length - greedyAt - 1; // segments after the greedy one
  let p = 0;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg.kind === 'greedy') {
      const take = parts.length - p - tail;
      const value = parts.slice(p, p + take).join('/');
      if (value === '') return undefined;
      params[seg.name] = value;
      p += take;
      continue;
    }
    const part = parts[p++];
    if (seg.kind === 'literal') {
      if (part !== seg.text) return undefined;
    } else {
      if (part === '') return undefined;
      params[seg.name] = part;
    }
  }
  return params;
}

export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((r, i) => compile(r, i)).sort(precedence);
  }

  /** Find the route for a method and a path (version prefix already removed, no query string). */
  match(method: string, path: string): RouteMatch | undefined {
    if (!path.startsWith('/')) return undefined;
    const decoded: string[] = [];
    for (const raw of path.slice(1).split('/')) {
      const d = decode(raw);
      if (d === undefined) return undefined;
      decoded.push(d);
    }
    for (const c of this.compiled) {
      if (c.route.method !== method) continue;
      const params = matchOne(c, decoded);
      if (params) return { route: c.route, params };
    }
    return undefined;
  }
}
