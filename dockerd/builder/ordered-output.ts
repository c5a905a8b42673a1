// Stages that do not depend on each other run at the same time; their output still reads as a
// sequential build's: the first unfinished stage (in Dockerfile order) writes through, the others
// are held until every stage before them is done.
import type { JsonMessage } from '../wire/jsonmessage.js';

export class OrderedOutput {
  private readonly held = new Map<number, JsonMessage[]>();
  private readonly finished = new Set<number>();
  private at = 0;

  constructor(
    private readonly order: number[],
    private readonly sink: (m: JsonMessage) => void,
  ) {}

  write(stage: number, m: JsonMessage): void {
    if (this.order[this.at] === stage) {
      this.sink(m);
      return;
    }
    let h = this.held.get(stage);
    if (!h) this.held.set(stage, (h = []));
    h.push(m);
  }

  /** `stage` wrote its last line: the next stages' lines follow. */
  done(stage: number): void {
    this.finished.add(stage);
    while (this.at < this.order.length && this.finished.has(this.order[this.at])) {
      this.at++;
      this.flush(this.order[this.at]);
    }
  }

  private flush(stage: number | undefined): void {
    if (stage === undefined) return;
    for (const m of this.held.get(stage) ?? []) this.sink(m);
    this.held.delete(stage);
  }

  /** Everything still held, in stage order (a failed build shows what each stage printed). */
  drain(): void {
    for (const s of this.order.slice(this.at)) this.flush(s);
    this.at = this.order.length;
  }
}
