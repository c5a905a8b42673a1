import { describe, expect, it } from 'vitest';
import {
  TsctrError,
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
} from '../../api/errdefs.js';
import {
  Conflict,
  DockerError,
  Forbidden,
  InvalidParameter,
  NotFound,
  NotImplemented,
  NotModified,
  RequestTooLarge,
  SystemError,
  Unauthorized,
  Unavailable,
  errorMessage,
  jsonSyntaxMessage,
  parseJsonText,
  wrapError,
} from '../errdefs/index.js';
import { httpStatusOf } from './status.js';

describe('httpStatusOf', () => {
  it('uses the status of Docker errors', () => {
    expect(httpStatusOf(new NotFound('x'))).toBe(404);
    expect(httpStatusOf(new InvalidParameter('x'))).toBe(400);
    expect(httpStatusOf(new Conflict('x'))).toBe(409);
    expect(httpStatusOf(new NotModified())).toBe(304);
    expect(httpStatusOf(new Unauthorized('x'))).toBe(401);
    expect(httpStatusOf(new Forbidden('x'))).toBe(403);
    expect(httpStatusOf(new NotImplemented('x'))).toBe(501);
    expect(httpStatusOf(new Unavailable('x'))).toBe(503);
    expect(httpStatusOf(new SystemError('x'))).toBe(500);
    expect(httpStatusOf(new RequestTooLarge())).toBe(413);
    expect(new RequestTooLarge()).toBeInstanceOf(InvalidParameter);
    expect(new NotFound('x')).toBeInstanceOf(DockerError);
    expect(new NotFound('x').name).toBe('NotFound');
  });

  it('maps the core error kinds', () => {
    expect(httpStatusOf(notFound('x'))).toBe(404);
    expect(httpStatusOf(alreadyExists('x'))).toBe(409);
    expect(httpStatusOf(invalidArgument('x'))).toBe(400);
    expect(httpStatusOf(failedPrecondition('x'))).toBe(409);
    expect(httpStatusOf(new TsctrError('Unavailable', 'x'))).toBe(503);
    expect(httpStatusOf(new TsctrError('NotImplemented', 'x'))).toBe(501);
    expect(httpStatusOf(new TsctrError('DataLoss', 'x'))).toBe(500);
  });

  it('gives 500 for anything else', () => {
    expect(httpStatusOf(new Error('boom'))).toBe(500);
    expect(httpStatusOf('boom')).toBe(500);
    expect(httpStatusOf(undefined)).toBe(500);
  });
});

describe('errorMessage / wrapError', () => {
  it('extracts messages', () => {
    expect(errorMessage(new NotFound('No such container: x'))).toBe('No such container: x');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('42');
  });

  it('keeps the status when wrapping', () => {
    const w = wrapError(new NotFound('No such container: c1'), 'cannot kill container: c1');
    expect(w.message).toBe('cannot kill container: c1: No such container: c1');
    expect(httpStatusOf(w)).toBe(404);
  });
});

describe('JSON parsing errors', () => {
  it('words errors like Go', () => {
    const msg = (t: string): string => {
      try {
        JSON.parse(t);
      } catch (e) {
        return jsonSyntaxMessage(t, e);
      }
      return 'parsed';
    };
    expect(msg('xyz')).toBe("invalid character 'x' looking for beginning of value");
    expect(msg('{')).toBe('unexpected EOF');
    expect(msg('{"a":1,}')).toBe("invalid character '}' looking for beginning of object key string");
    expect(msg('[1 2]')).toBe("invalid character '2' after array element");
    expect(msg('{"a":1 "b":2}')).toBe("invalid character '\"' after object key:value pair");
  });

  it('ignores trailing data like json.Decoder and prefixes failures', () => {
    expect(parseJsonText('{"Detach":false}\n')).toEqual({ Detach: false });
    expect(parseJsonText('{"a":1} trailing')).toEqual({ a: 1 });
    expect(() => parseJsonText('xyz')).toThrow(
      "invalid JSON: invalid character 'x' looking for beginning of value",
    );
    try {
      parseJsonText('nope', 'invalid filter');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidParameter);
      expect((e as Error).message.startsWith('invalid filter: ')).toBe(true);
    }
  });
});
