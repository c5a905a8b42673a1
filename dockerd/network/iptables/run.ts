// Runs one host tool (iptables-save, iptables-restore, ip) with an optional stdin batch and
// collects its output. A non-zero exit becomes an error carrying the tool's own stderr, since
// that is the only useful thing to show when a batch is refused.
import { spawn } from 'node:child_process';

export class ToolError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${command} failed (exit ${code ?? 'signal'}): ${stderr.trim() || 'no output'}`);
    this.name = 'ToolError';
  }
}

/** Runs `cmd args…`, writes `input` to its stdin (if given) and resolves with its stdout. */
export function runTool(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) resolve(stdout);
      else reject(new ToolError([cmd, ...args].join(' '), code, Buffer.concat(err).toString('utf8')));
    });
    // A tool that exits before reading all of stdin must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
