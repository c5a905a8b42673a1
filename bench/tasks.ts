// Task benchmarks: the same ctr commands against tsctrd and Debian's containerd (runc shim).
import { readFileSync, readdirSync } from 'node:fs';
import { type RunningRegistry, startRegistry } from '../client/remotes/testing/registry-process.js';
import { Registry } from '../client/remotes/index.js';
import { busybox } from '../integration/testimages.js';
import { type Daemon, type Row, ctr } from './lib.js';

async function pushBusybox(reg: RunningRegistry): Promise<string> {
  const img = await busybox();
  const r = new Registry({});
  const ref = `${reg.host}/busybox:bench`;
  for (const l of [...img.layers, img.config]) await r.pushBlob(ref, l, l.data);
  await r.pushManifest(ref, img.manifest, img.manifest.data, { tag: 'bench' });
  return ref;
}

function pss(pids: string[]): number {
  let kb = 0;
  for (const p of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

function pidsMatching(pred: (cmd: string) => boolean): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return pred(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    });
}

async function must(d: Daemon, args: string[]): Promise<number> {
  const r = await ctr(d, args);
  if (r.code !== 0) throw new Error(`${d.name}: ctr ${args.join(' ')} failed: ${r.err}`);
  return r.ms;
}

async function cleanupAll(d: Daemon, ids: string[]): Promise<void> {
  for (const id of ids) {
    await ctr(d, ['tasks', 'kill', '-s', 'SIGKILL', id]);
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const id of ids) {
    await ctr(d, ['tasks', 'rm', id]);
    await ctr(d, ['containers', 'rm', id]);
  }
}

export async function taskRows(
  t: Daemon,
  c: Daemon,
  rounds: number,
  restart: { t: () => Promise<void>; c: () => Promise<void> },
): Promise<Row[]> {
  const reg = await startRegistry();
  try {
    const ref = await pushBusybox(reg);
    await must(t, ['images', 'pull', '--plain-http', ref]);
    await must(c, ['images', 'pull', '--plain-http', ref]);
    const echo: Row = {
      what: '`ctr run --rm busybox echo hi`',
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 0.6×',
    };
    await must(t, ['run', '--rm', ref, 'warm', 'echo', 'hi']);
    await must(c, ['run', '--rm', ref, 'warm', 'echo', 'hi']);
    for (let i = 0; i < rounds * 2; i++) {
      echo.ours.push(await must(t, ['run', '--rm', ref, `e${i}`, 'echo', 'hi']));
      echo.anchor.push(await must(c, ['run', '--rm', ref, `e${i}`, 'echo', 'hi']));
    }
    const N = Number(process.env.BENCH_CONTAINERS ?? 50);
    const ids = Array.from({ length: N }, (_, i) => `bg${i}`);
    const fifty: Row = {
      what: `${N} × \`ctr run -d … sleep 600\`, sequential`,
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 0.5×',
    };
    let t0 = performance.now();
    for (const id of ids) await must(t, ['run', '-d', ref, id, 'sleep', '600']);
    fifty.ours.push(performance.now() - t0);
    t0 = performance.now();
    for (const id of ids) await must(c, ['run', '-d', ref, id, 'sleep', '600']);
    fifty.anchor.push(performance.now() - t0);
    const mem: Row = {
      what: `shim PSS per container at ${N} running`,
      unit: 'MiB',
      ours: [],
      anchor: [],
      goal: '≤ 8 MiB (absolute)',
    };
    const ourShims = pidsMatching((cmd) => cmd.includes('tsctr-shim.js') && cmd.includes(t.address));
    const theirShims = pidsMatching(
      (cmd) => cmd.includes('containerd-shim-runc-v2') && cmd.includes(c.address),
    );
    mem.ours.push(pss(ourShims) / Math.max(1, ourShims.length));
    mem.anchor.push(pss(theirShims) / Math.max(1, theirShims.length));
    const back: Row = {
      what: `kill -9 of the daemon with ${N} running → first answered \`ctr tasks ls\``,
      unit: 'ms',
      ours: [],
      anchor: [],
      goal: '≤ 0.5×',
    };
    for (const [d, row, restartFn] of [
      [t, back.ours, restart.t],
      [c, back.anchor, restart.c],
    ] as const) {
      d.proc!.kill('SIGKILL');
      await new Promise((r) => d.proc!.once('exit', r));
      const s = performance.now();
      await restartFn();
      for (;;) {
        const r = await ctr(d, ['tasks', 'ls']);
        if (r.code === 0 && (r.out.match(/RUNNING/g)?.length ?? 0) === N) break;
      }
      row.push(performance.now() - s);
    }
    await cleanupAll(t, ids);
    await cleanupAll(c, ids);
    return [echo, fifty, mem, back];
  } finally {
    await reg.stop();
  }
}
