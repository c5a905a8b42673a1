// A Dockerfile as the classic builder sees it: instructions found with dockerfile-ast, each one's
// text joined the way moby's parser does (continuations removed, comment and empty lines inside a
// continuation dropped), its leading `--flags` split off, its JSON form recognised, heredocs (a
// BuildKit feature) collected, then grouped into the ARGs before the first FROM and the stages.
import { DockerfileParser } from 'dockerfile-ast';
import { InvalidParameter } from '../errdefs/index.js';

export interface Flag {
  name: string;
  /** undefined for a bare `--flag`. */
  value: string | undefined;
}

export interface Heredoc {
  name: string;
  content: string;
  /** False when the delimiter was quoted (`<<'EOF'`): no variable expansion. */
  expand: boolean;
}

export interface Instruction {
  /** Upper case: RUN, COPY… */
  keyword: string;
  /** The text shown in `Step N/M : …` (moby's node.Original, trimmed). */
  original: string;
  line: number;
  flags: Flag[];
  /** What follows the flags (continuations joined). */
  args: string;
  /** The JSON (exec) form's strings, when the arguments are a JSON array of strings. */
  json: string[] | undefined;
  heredocs: Heredoc[];
}

export interface Stage {
  /** Lower-cased `AS` name, '' when unnamed. */
  name: string;
  index: number;
  from: Instruction;
  commands: Instruction[];
}

export interface Dockerfile {
  escape: string;
  metaArgs: Instruction[];
  stages: Stage[];
}

export const INSTRUCTIONS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

/** `# escape=x` among the leading directive comments; default backslash. */
export function escapeOf(text: string): string {
  for (const line of text.split(/\r?\n/)) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(line);
    if (!m) return '\\';
    if (m[1].toLowerCase() === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`')
        throw new InvalidParameter(`invalid ESCAPE '${m[2]}'. Must be \` or \\`);
      return m[2];
    }
  }
  return '\\';
}

function isComment(line: string): boolean {
  return /^\s*#/.test(line);
}

/** A line ending in the escape character (then blanks): its text without them, and false. */
function trimContinuation(line: string, escape: string): { text: string; end: boolean } {
  const re = escape === '\\' ? /\\[ \t]*$/ : /`[ \t]*$/;
  return re.test(line) ? { text: line.replace(re, ''), end: false } : { text: line, end: true };
}

/** Leading `--name[=value]` words of an instruction's arguments (moby's extractBuilderFlags). */
export function splitFlags(rest: string): { flags: Flag[]; args: string } {
  const flags: Flag[] = [];
  let s = rest.trimStart();
  for (;;) {
    const m = /^--([A-Za-z0-9-]+)(=(\S*))?(\s+|$)/.exec(s);
    if (!m) break;
    flags.push({ name: m[1], value: m[2] === undefined ? undefined : m[3] });
    s = s.slice(m[0].length);
  }
  return { flags, args: s.trim() };
}

/** The strings of a JSON array of strings, or undefined (then it is the shell form). */
export function jsonArgs(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(args);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    return undefined;
  }
  return undefined;
}

const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

function heredocsOf(first: string, body: string[]): { heredocs: Heredoc[]; consumed: number } {
  const heredocs: Heredoc[] = [];
  let i = 0;
  for (const m of first.matchAll(HEREDOC)) {
    const strip = m[1] === '-';
    const name = m[3];
    const lines: string[] = [];
    while (i < body.length && (strip ? body[i].replace(/^\t+/, '') : body[i]) !== name) {
      lines.push(strip ? body[i].replace(/^\t+/, '') : body[i]);
      i++;
    }
    if (i >= body.length) throw new InvalidParameter(`unterminated heredoc ${name}`);
    i++;
    heredocs.push({ name, content: lines.length ? `${lines.join('\n')}\n` : '', expand: m[2] === '' });
  }
  return { heredocs, consumed: i };
}

/** Parses the Dockerfile text (`name` is used in messages). */
export function parseDockerfile(text: string, name = 'Dockerfile'): Dockerfile {
  if (text.length === 0) throw new InvalidParameter(`the Dockerfile (${name}) cannot be empty`);
  const escape = escapeOf(text);
  // Lines as dockerfile-ast counts them (a lone CR ends a line too), so its ranges index them.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const doc = DockerfileParser.parse(text);
  const all: Instruction[] = [];
  for (const ins of doc.getInstructions()) {
    const start = ins.getRange().start.line;
    const end = ins.getRange().end.line;
    // Join continuation lines as moby does.
    let { text: joined, end: done } = trimContinuation(lines[start].trimStart(), escape);
    let ln = start + 1;
    while (!done && ln < lines.length) {
      const l = lines[ln++];
      if (isComment(l) || l.trim() === '') continue;
      const t = trimContinuation(l, escape);
      joined += t.text;
      done = t.end;
    }
    const m = /^(\S+)\s*([\s\S]*)$/.exec(joined.trim());
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    if (!INSTRUCTIONS.has(keyword))
      throw new InvalidParameter(`dockerfile parse error line ${start + 1}: unknown instruction: ${keyword}`);
    const { flags, args } = splitFlags(m[2]);
    let heredocs: Heredoc[] = [];
    if ((keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') && /<<-?["']?[A-Za-z_]/.test(args)) {
      heredocs = heredocsOf(
        args,
        lines.slice(ln, Math.max(end + 1, ln)).concat(lines.slice(end + 1)),
      ).heredocs;
    }
    all.push({
      keyword,
      original: joined.trim(),
      line: start + 1,
      flags,
      args,
      json: heredocs.length ? undefined : jsonArgs(args),
      heredocs,
    });
  }
  if (all.length === 0) throw new InvalidParameter('file with no instructions');
  const metaArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of all) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/);
      let stageName = '';
      if (words.length === 3 && words[1].toLowerCase() === 'as') stageName = words[2].toLowerCase();
      else if (words.length !== 1)
        throw new InvalidParameter(
          `dockerfile parse error line ${ins.line}: FROM requires either one or three arguments`,
        );
      if (stageName && !/^[a-z][a-z0-9-_.]*$/.test(stageName))
        throw new InvalidParameter(
          `invalid name for build stage: "${stageName}", name can't start with a number or contain symbols`,
        );
      if (stageName && stages.some((s) => s.name === stageName))
        throw new InvalidParameter(`duplicate name ${stageName}`);
      stages.push({ name: stageName, index: stages.length, from: ins, commands: [] });
      continue;
    }
    const cur = stages.at(-1);
    if (!cur) {
      if (ins.keyword !== 'ARG') throw new InvalidParameter('No build stage in current context');
      metaArgs.push(ins);
      continue;
    }
    cur.commands.push(ins);
  }
  if (stages.length === 0) throw new InvalidParameter('No build stage in current context');
  return { escape, metaArgs, stages };
}

export function flag(ins: Instruction, name: string): string | undefined {
  return ins.flags.find((f) => f.name === name)?.value;
}

/** Flags an instruction does not know: dockerd's "Unknown flag: x". */
export function checkFlags(ins: Instruction, allowed: string[]): void {
  for (const f of ins.flags) {
    if (!allowed.includes(f.name)) throw new InvalidParameter(`Unknown flag: ${f.name}`);
  }
}
