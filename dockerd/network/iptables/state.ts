// The kernel's rules as `iptables-save` prints them, and the compilation of steps against them into
// one `iptables-restore --noflush` batch: a step whose effect is already there emits nothing, so
// ensuring twice changes nothing, and a deletion is only emitted for a rule that is present (one
// failing line would make the whole batch fail). The snapshot is updated as lines are emitted, so
// later steps in the same batch see the earlier ones' effects, as they would one command at a time.
import type { Step, Table } from './rules.js';

/** table → chain → rule specs in order (the text after `-A <chain> `). */
export type Snapshot = Map<string, Map<string, string[]>>;

export function parseSave(text: string): Snapshot {
  const snap: Snapshot = new Map();
  let table: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      table = new Map();
      snap.set(line.slice(1).trim(), table);
    } else if (!table || line.startsWith('#') || line === 'COMMIT') continue;
    else if (line.startsWith(':')) table.set(line.slice(1).split(' ')[0], []);
    else if (line.startsWith('-A ')) {
      const rest = line.slice(3);
      const sp = rest.indexOf(' ');
      const ch = sp < 0 ? rest : rest.slice(0, sp);
      const rules = table.get(ch) ?? [];
      rules.push(sp < 0 ? '' : rest.slice(sp + 1));
      table.set(ch, rules);
    }
  }
  return snap;
}

export function cloneSnapshot(snap: Snapshot): Snapshot {
  return new Map([...snap].map(([t, chains]) => [t, new Map([...chains].map(([c, r]) => [c, [...r]]))]));
}

/** The `iptables-restore` lines per table, in the order they must run. */
export type Batch = Map<Table, string[]>;

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING']);

function chainsOf(snap: Snapshot, table: Table): Map<string, string[]> {
  let t = snap.get(table);
  if (!t) {
    t = new Map();
    snap.set(table, t);
  }
  return t;
}

/** Compiles `steps` against `snap` (which it updates) into the lines that bring the kernel there. */
export function compile(steps: Step[], snap: Snapshot): Batch {
  const batch: Batch = new Map();
  const emit = (table: Table, line: string) => {
    const lines = batch.get(table) ?? [];
    lines.push(line);
    batch.set(table, lines);
  };
  const rulesOf = (table: Table, chain: string): string[] => {
    const chains = chainsOf(snap, table);
    let rules = chains.get(chain);
    if (!rules) {
      // A built-in chain exists even when iptables-save did not print its table yet.
      if (!BUILTIN.has(chain)) throw new Error(`iptables chain ${table}/${chain} does not exist`);
      rules = [];
      chains.set(chain, rules);
    }
    return rules;
  };
  const remove = (table: Table, chain: string, rule: string) => {
    const rules = rulesOf(table, chain);
    const i = rules.indexOf(rule);
    if (i < 0) return;
    rules.splice(i, 1);
    emit(table, `-D ${chain} ${rule}`);
  };
  for (const s of steps) {
    switch (s.kind) {
      case 'chain': {
        const chains = chainsOf(snap, s.table);
        if (!chains.has(s.chain)) {
          chains.set(s.chain, []);
          emit(s.table, `-N ${s.chain}`);
        }
        break;
      }
      case 'rule': {
        const rules = rulesOf(s.table, s.chain);
        if (rules.includes(s.rule)) break;
        if (s.at === 'top') {
          rules.unshift(s.rule);
          emit(s.table, `-I ${s.chain} 1 ${s.rule}`);
        } else {
          rules.push(s.rule);
          emit(s.table, `-A ${s.chain} ${s.rule}`);
        }
        break;
      }
      case 'delete':
        if (chainsOf(snap, s.table).has(s.chain))
          while (rulesOf(s.table, s.chain).includes(s.rule)) remove(s.table, s.chain, s.rule);
        break;
      case 'head': {
        const rules = rulesOf(s.table, s.chain);
        if (s.rules.every((r, i) => rules[i] === r)) break;
        for (const r of s.rules) while (rules.includes(r)) remove(s.table, s.chain, r);
        for (const r of [...s.rules].reverse()) {
          rules.unshift(r);
          emit(s.table, `-I ${s.chain} 1 ${r}`);
        }
        break;
      }
      case 'dropChain': {
        const chains = chainsOf(snap, s.table);
        if (!chains.has(s.chain)) break;
        // Nothing may still jump to it, or `-X` fails.
        for (const [name, rules] of chains)
          for (const r of [...rules])
            if (r === `-j ${s.chain}` || r.endsWith(` -j ${s.chain}`)) remove(s.table, name, r);
        if (chains.get(s.chain)?.length) emit(s.table, `-F ${s.chain}`);
        emit(s.table, `-X ${s.chain}`);
        chains.delete(s.chain);
        break;
      }
    }
  }
  return batch;
}

/** The text for `iptables-restore --noflush`, or '' when there is nothing to do. */
export function renderBatch(batch: Batch): string {
  let text = '';
  for (const [table, lines] of batch) {
    if (lines.length) text += `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
  }
  return text;
}
