import pino, { type Logger } from 'pino';

/** Structured JSON logs to stderr; fields carry namespace, ids and digests. */
export function makeLogger(level: string, name = 'tsctrd'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}
