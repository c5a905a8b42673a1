import { describe, expect, it } from 'vitest';
import { escapeOf, jsonArgs, parseDockerfile, splitFlags } from './parse.js';

describe('parseDockerfile', () => {
  it('joins continuations as moby does, dropping comment and empty lines inside them', () => {
    const df = parseDockerfile('FROM busybox\nRUN echo a \\\n# comment\n\n  && echo b\n');
    expect(df.stages[0].commands[0].original).toBe('RUN echo a   && echo b');
    expect(df.stages[0].commands[0].args).toBe('echo a   && echo b');
  });

  it('splits leading flags and recognises the JSON form', () => {
    const df = parseDockerfile('FROM busybox\nCOPY --chown=1:1 --from=x ["a b", "/x/"]\n');
    const c = df.stages[0].commands[0];
    expect(c.flags).toEqual([
      { name: 'chown', value: '1:1' },
      { name: 'from', value: 'x' },
    ]);
    expect(c.json).toEqual(['a b', '/x/']);
    expect(splitFlags('--mount=type=cache,target=/x  echo hi').args).toBe('echo hi');
    expect(jsonArgs('[not json')).toBeUndefined();
  });

  it('groups meta ARGs and named stages, and honours the escape directive', () => {
    const df = parseDockerfile('# escape=`\nARG B=busybox\nFROM ${B} AS Deps\nRUN echo `\n  hi\nFROM deps\n');
    expect(df.escape).toBe('`');
    expect(df.metaArgs.map((a) => a.original)).toEqual(['ARG B=busybox']);
    expect(df.stages.map((s) => s.name)).toEqual(['deps', '']);
    expect(df.stages[0].commands[0].args).toBe('echo   hi');
    expect(escapeOf('# syntax=x\n# escape=\\\nFROM a')).toBe('\\');
  });

  it('collects heredocs, their content and whether to expand', () => {
    const df = parseDockerfile("FROM b\nRUN <<EOF\necho $A\nEOF\nCOPY <<'X' /f\n$B\nX\nRUN echo after\n");
    const [run, copy, after] = df.stages[0].commands;
    expect(run.heredocs).toEqual([{ name: 'EOF', content: 'echo $A\n', expand: true }]);
    expect(copy.heredocs).toEqual([{ name: 'X', content: '$B\n', expand: false }]);
    expect(after.original).toBe('RUN echo after');
  });

  it('counts a lone CR as a line break, as dockerfile-ast does (found by the fuzzer: a TypeError)', () => {
    expect(() => parseDockerfile('FROM \r\0')).toThrow('line 2: unknown instruction');
    const df = parseDockerfile('FROM a\rRUN echo x\r\nCMD y\n');
    expect(df.stages[0].commands.map((c) => c.original)).toEqual(['RUN echo x', 'CMD y']);
  });

  it("gives dockerd's errors", () => {
    expect(() => parseDockerfile('')).toThrow('the Dockerfile (Dockerfile) cannot be empty');
    expect(() => parseDockerfile('# only a comment\n')).toThrow('file with no instructions');
    expect(() => parseDockerfile('FROM a\nFOOBAR x\n')).toThrow(
      'dockerfile parse error line 2: unknown instruction: FOOBAR',
    );
    expect(() => parseDockerfile('ENV a=b\nFROM x\n')).toThrow('No build stage in current context');
    expect(() => parseDockerfile('FROM a AS x\nFROM b AS x\n')).toThrow('duplicate name x');
  });
});
