// Live per-blob progress for pull/push: redrawn bars on a terminal, one line per state change otherwise.
import { humanSize } from '../../client/format.js';

export interface Job {
  id: string;
  kind: string;
  status: string;
  offset: number;
  total: number;
}

export class Progress {
  private readonly jobs = new Map<string, Job>();
  private timer: NodeJS.Timeout | undefined;
  private drawn = 0;
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = Date.now();

  constructor() {
    if (this.tty) this.timer = setInterval(() => this.draw(), 100);
  }

  update(j: Job): void {
    const prev = this.jobs.get(j.id);
    this.jobs.set(j.id, j);
    if (!this.tty && prev?.status !== j.status) {
      process.stderr.write(
        `${j.kind}-${j.id.slice(7, 19)}: ${j.status}${j.total ? ` (${humanSize(j.total)})` : ''}\n`,
      );
    }
  }

  private line(j: Job): string {
    const width = 30;
    const frac = j.total > 0 ? Math.min(1, j.offset / j.total) : 0;
    const bar =
      j.status === 'downloading'
        ? `[${'='.repeat(Math.round(frac * width)).padEnd(width)}]`
        : ''.padEnd(width + 2);
    const name = `${j.kind}-${j.id.slice(7, 19)}`.padEnd(20);
    return `${name} ${j.status.padEnd(11)} ${bar} ${humanSize(j.offset)}/${humanSize(j.total)}`;
  }

  private draw(): void {
    const lines = [...this.jobs.values()].map((j) => this.line(j));
    lines.push(`elapsed: ${((Date.now() - this.started) / 1000).toFixed(1)} s`);
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    out += lines.map((l) => `\x1b[2K${l}\n`).join('');
    this.drawn = lines.length;
    process.stderr.write(out);
  }

  done(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.draw();
  }
}
