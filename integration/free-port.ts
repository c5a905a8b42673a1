// Host ports for `-p` in tests: random ones in 20000–29999 that nothing on 127.0.0.1 holds right now
// (other tests run on the same machine).
import { randomInt } from 'node:crypto';
import net from 'node:net';

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive free ports. */
export async function freeLoopbackPorts(count = 1): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const p = randomInt(20000, 30000 - count);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await bindable(p + i);
    if (ok) return p;
  }
  throw new Error('no free port in 20000-29999');
}
