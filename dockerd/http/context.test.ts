import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { RequestContext, compareVersions } from './context.js';
import { InvalidParameter, RequestTooLarge } from '../errdefs/index.js';

function makeCtx(
  url: string,
  body?: string,
  opts: { maxBodyBytes?: number; apiVersion?: string } = {},
): RequestContext {
  const req = new http.IncomingMessage(new net.Socket());
  req.url = url;
  req.method = 'POST';
  if (body !== undefined) {
    req.headers['content-length'] = String(Buffer.byteLength(body));
    req.push(body);
  }
  req.push(null);
  const res = new http.ServerResponse(req);
  return new RequestContext(req, res, {}, opts.apiVersion ?? '1.41', { maxBodyBytes: opts.maxBodyBytes });
}

describe('compareVersions', () => {
  it('compares numerically by part', () => {
    expect(compareVersions('1.41', '1.41')).toBe(0);
    expect(compareVersions('1.9', '1.41')).toBe(-1);
    expect(compareVersions('1.41', '1.24')).toBe(1);
    expect(compareVersions('1.41.0', '1.41')).toBe(0);
    expect(compareVersions('2', '1.99')).toBe(1);
  });
});

describe('RequestContext query helpers', () => {
  const ctx = makeCtx(
    '/containers/json?a=1&b=true&c=True&d=yes&e=0&f=false&g=False&h=&i=none&n=-1&bad=1x&big=99999999999999999&m=x&m=y',
  );

  it('reads booleans like moby', () => {
    for (const k of ['a', 'b', 'c', 'd']) expect(ctx.bool(k)).toBe(true);
    for (const k of ['e', 'f', 'g', 'h', 'i']) expect(ctx.bool(k, true)).toBe(false);
    expect(ctx.bool('absent')).toBe(false);
    expect(ctx.bool('absent', true)).toBe(true);
  });

  it('reads integers and strings', () => {
    expect(ctx.int('n', 5)).toBe(-1);
    expect(ctx.int('absent', 5)).toBe(5);
    expect(ctx.int('h', 7)).toBe(7);
    expect(() => ctx.int('bad', 0)).toThrow(InvalidParameter);
    expect(() => ctx.int('bad', 0)).toThrow('strconv.ParseInt: parsing "1x": invalid syntax');
    expect(() => ctx.int('big', 0)).toThrow(InvalidParameter);
    expect(ctx.str('m')).toBe('x');
    expect(ctx.strs('m')).toEqual(['x', 'y']);
    expect(ctx.str('absent')).toBeUndefined();
    expect(ctx.path).toBe('/containers/json');
  });

  it('gates on the API version', () => {
    expect(makeCtx('/x', undefined, { apiVersion: '1.41' }).versionAtLeast('1.42')).toBe(false);
    expect(makeCtx('/x', undefined, { apiVersion: '1.44' }).versionAtLeast('1.42')).toBe(true);
  });
});

describe('RequestContext body', () => {
  it('parses JSON once and caches it', async () => {
    const ctx = makeCtx('/x', '{"Detach":false,"Tty":true}');
    expect(await ctx.json()).toEqual({ Detach: false, Tty: true });
    expect(await ctx.json()).toEqual({ Detach: false, Tty: true });
    const chunks: Buffer[] = [];
    for await (const c of ctx.raw()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('{"Detach":false,"Tty":true}');
  });

  it('treats an empty body as undefined unless required', async () => {
    expect(await makeCtx('/x', '').json()).toBeUndefined();
    expect(await makeCtx('/x', '  \n').json()).toBeUndefined();
    await expect(makeCtx('/x').json({ required: true })).rejects.toThrow(
      'invalid JSON: got EOF while reading request body',
    );
  });

  it('bounds the body size', async () => {
    const ctx = makeCtx('/x', JSON.stringify({ a: 'x'.repeat(100) }), { maxBodyBytes: 50 });
    await expect(ctx.json()).rejects.toBeInstanceOf(RequestTooLarge);
    expect(ctx.res.getHeader('connection')).toBe('close');
    await expect(makeCtx('/x', '{"a":1}').json({ limit: 3 })).rejects.toThrow('request body too large');
  });

  it('hands the body out as a stream', async () => {
    const ctx = makeCtx('/x', 'tar-bytes');
    const chunks: Buffer[] = [];
    for await (const c of ctx.raw()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('tar-bytes');
    await expect(ctx.body()).rejects.toThrow(/already taken/);
  });
});
