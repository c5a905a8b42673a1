import { describe, expect, it } from 'vitest';
import { Router, type Route } from './router.js';

const h = (): void => undefined;
const routes: Route[] = [
  { method: 'GET', path: '/containers/{name}/json', handler: h },
  { method: 'GET', path: '/containers/json', handler: h },
  { method: 'POST', path: '/containers/{name}/attach', handler: h },
  { method: 'POST', path: '/containers/prune', handler: h },
  { method: 'DELETE', path: '/containers/{name}', handler: h },
  { method: 'DELETE', path: '/images/{name:.*}', handler: h },
  { method: 'POST', path: '/images/{name:.*}/push', handler: h },
  { method: 'POST', path: '/images/{name:.*}/tag', handler: h },
  { method: 'GET', path: '/images/{name:.*}/json', handler: h },
  { method: 'GET', path: '/images/{name:.*}/history', handler: h },
  { method: 'GET', path: '/images/{name:.*}/get', handler: h },
  { method: 'GET', path: '/images/json', handler: h },
  { method: 'GET', path: '/images/get', handler: h },
  { method: 'POST', path: '/images/create', handler: h },
  { method: 'POST', path: '/exec/{id}/start', handler: h },
];
const router = new Router(routes);
const find = (method: string, path: string): { path: string; params: Record<string, string> } | undefined => {
  const m = router.match(method, path);
  return m && { path: m.route.path, params: m.params };
};

describe('Router', () => {
  it('prefers static routes', () => {
    expect(find('GET', '/containers/json')).toEqual({ path: '/containers/json', params: {} });
    expect(find('GET', '/images/json')).toEqual({ path: '/images/json', params: {} });
    expect(find('GET', '/images/get')).toEqual({ path: '/images/get', params: {} });
    expect(find('POST', '/images/create')).toEqual({ path: '/images/create', params: {} });
    expect(find('POST', '/containers/prune')).toEqual({ path: '/containers/prune', params: {} });
  });

  it('matches one-segment parameters', () => {
    expect(find('GET', '/containers/abc/json')).toEqual({
      path: '/containers/{name}/json',
      params: { name: 'abc' },
    });
    expect(find('POST', '/exec/e1/start')?.params).toEqual({ id: 'e1' });
    expect(find('DELETE', '/containers/abc')?.params).toEqual({ name: 'abc' });
    expect(find('GET', '/containers/a/b/json')).toBeUndefined();
    expect(find('GET', '/containers//json')).toBeUndefined();
  });

  it('matches greedy parameters across slashes', () => {
    expect(find('DELETE', '/images/localhost:5000/busybox:1.0')?.params).toEqual({
      name: 'localhost:5000/busybox:1.0',
    });
    expect(find('POST', '/images/localhost:5000/busybox/push')).toEqual({
      path: '/images/{name:.*}/push',
      params: { name: 'localhost:5000/busybox' },
    });
    expect(find('GET', '/images/library/busybox:latest/json')?.params).toEqual({
      name: 'library/busybox:latest',
    });
    expect(find('GET', '/images/busybox/history')?.params).toEqual({ name: 'busybox' });
    expect(find('GET', '/images/a/b/get')?.params).toEqual({ name: 'a/b' });
    expect(find('POST', '/images/x/tag')?.params).toEqual({ name: 'x' });
    expect(find('GET', '/images//json')).toBeUndefined();
  });

  it('URL-decodes parameters', () => {
    expect(find('GET', '/images/localhost%3A5000%2Fbusybox/json')?.params).toEqual({
      name: 'localhost:5000/busybox',
    });
    expect(find('GET', '/containers/my%20name/json')?.params).toEqual({ name: 'my name' });
    expect(find('GET', '/containers/%zz/json')).toBeUndefined();
  });

  it('checks the method', () => {
    expect(find('POST', '/containers/json')).toBeUndefined();
    expect(find('GET', '/nothing')).toBeUndefined();
  });

  it('rejects unsupported patterns', () => {
    expect(() => new Router([{ method: 'GET', path: '/a/{x:[0-9]+}', handler: h }])).toThrow();
    expect(() => new Router([{ method: 'GET', path: '/{a:.*}/{b:.*}', handler: h }])).toThrow();
  });
});
