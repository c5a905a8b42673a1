// The classic builder's Dockerfile front end (dockerd/builder): any text is either parsed or refused
// with InvalidParameter, and every instruction of what parses goes through the pure functions the
// builder applies to it (variable expansion, ENV/LABEL pairs, EXPOSE, HEALTHCHECK, flags) without a
// TypeError, RangeError or hang.
import { parseDockerfile, checkFlags, type Instruction } from '../../../dockerd/builder/parse.js';
import { envLookup, processWord, splitWords } from '../../../dockerd/builder/shell-lex.js';
import {
  commandOf,
  exposedPorts,
  healthcheck,
  keyValues,
  setEnv,
} from '../../../dockerd/builder/instructions.js';
import type { FuzzTarget } from '../engine.js';
import { typedRefusal, Violation } from './expect.js';

/** One step, as build.ts would apply it to a config (refusals are the step's typed errors). */
function apply(ins: Instruction, env: string[], escape: string): string[] {
  const lookup = envLookup(env, ['A=a', 'EMPTY=', 'SP=a b']);
  switch (ins.keyword) {
    case 'ENV':
    case 'LABEL':
    case 'ARG': {
      if (ins.keyword === 'ARG') {
        for (const w of splitWords(ins.args, escape)) processWord(w, lookup, escape);
        return env;
      }
      let out = env;
      for (const [k, v] of keyValues(ins, lookup, escape)) if (ins.keyword === 'ENV') out = setEnv(out, k, v);
      return out;
    }
    case 'EXPOSE':
      exposedPorts(splitWords(ins.args, escape).map((w) => processWord(w, lookup, escape)));
      return env;
    case 'HEALTHCHECK':
      healthcheck(ins, ['/bin/sh', '-c']);
      return env;
    case 'RUN':
      checkFlags(ins, ['mount', 'network']);
      commandOf(ins, ['/bin/sh', '-c']);
      return env;
    case 'COPY':
    case 'ADD':
      checkFlags(ins, ins.keyword === 'COPY' ? ['from', 'chown'] : ['chown']);
      for (const w of ins.json ?? splitWords(ins.args, escape)) processWord(w, lookup, escape);
      return env;
    default:
      for (const w of ins.json ?? splitWords(ins.args, escape)) processWord(w, lookup, escape);
      processWord(ins.args, lookup, escape);
      return env;
  }
}

export function dockerfileTarget(): FuzzTarget {
  return {
    name: 'dockerfile',
    maxLen: 4096,
    timeoutMs: 2000,
    dict: [
      'FROM ',
      ' AS ',
      'RUN ',
      'COPY ',
      'ADD ',
      'ENV ',
      'ARG ',
      'LABEL ',
      'EXPOSE ',
      'HEALTHCHECK ',
      'CMD ',
      'ENTRYPOINT ',
      'WORKDIR ',
      'USER ',
      'VOLUME ',
      'STOPSIGNAL ',
      'SHELL ',
      'ONBUILD ',
      '# escape=`\n',
      '# syntax=docker/dockerfile:1\n',
      '\\\n',
      '`\n',
      '<<EOF\n',
      '<<-EOF\n',
      "<<'EOF'\n",
      '\nEOF\n',
      '${A}',
      '${A:-x}',
      '${A:+y}',
      '${A:?msg}',
      '${EMPTY-z}',
      '$A',
      '${',
      '}',
      '"',
      "'",
      '\\',
      '=',
      '["a","b"]',
      '--from=0 ',
      '--chown=1:1 ',
      '--interval=5s ',
      '--retries=3 ',
      '--mount=type=cache,target=/x ',
      '80/tcp',
      '1000-1002',
      '65535',
      '\t',
      '\r\n',
    ],
    expected: typedRefusal,
    run(data) {
      const text = data.toString('utf8');
      const t0 = performance.now();
      let df;
      try {
        df = parseDockerfile(text);
      } finally {
        if (performance.now() - t0 > 1000)
          throw new Violation(`parsing took ${Math.round(performance.now() - t0)} ms`);
      }
      const errors: unknown[] = [];
      for (const st of [{ commands: df.metaArgs }, ...df.stages]) {
        let env: string[] = [];
        for (const ins of st.commands) {
          try {
            env = apply(ins, env, df.escape);
          } catch (err) {
            if (!typedRefusal(err)) throw err;
            errors.push(err);
          }
        }
      }
      if (performance.now() - t0 > 1000)
        throw new Violation(`applying took ${Math.round(performance.now() - t0)} ms`);
    },
  };
}
