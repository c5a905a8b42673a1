// The daemon's unix socket: refuse to steal a live one, clear a stale one left by a crash.
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { failedPrecondition } from '../../api/errdefs.js';

function answers(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(address);
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

export async function prepareSocket(address: string): Promise<void> {
  await fs.mkdir(path.dirname(address), { recursive: true, mode: 0o711 });
  try {
    await fs.lstat(address);
  } catch {
    return;
  }
  if (await answers(address)) throw failedPrecondition(`another daemon is already serving on ${address}`);
  await fs.rm(address, { force: true });
}
