// The tar extractor (pkg/archive) through its two real entry points: Diff.Apply's layer mode
// (services/diff/apply.ts, overlay and plain-tree whiteouts) and docker cp's mode
// (dockerd/archive/extract.ts, symlinks followed inside the root). Whatever the tar holds, nothing is
// written, linked, removed or changed outside the root: after every input the directory around it
// is checked (a sentinel with a canary file, a lower layer, symlinks in the root that point out).
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from '../../../services/diff/apply.js';
import { extractInto } from '../../../dockerd/archive/extract.js';
import type { FuzzTarget } from '../engine.js';
import { typedRefusal, Violation } from './expect.js';

const CANARY = 'canary: must never change\n';

/** Names, types, modes, owners, link counts and contents of a tree (outside-the-root fingerprint). */
function fingerprint(dir: string): string {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      let extra = '';
      if (st.isFile()) extra = createHash('sha1').update(readFileSync(p)).digest('hex');
      out.push(`${rel}${name} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.nlink} ${st.size} ${extra}`);
      if (st.isDirectory()) walk(p, `${rel}${name}/`);
    }
  };
  walk(dir, '');
  return out.join('\n');
}

export function tarExtractTarget(): FuzzTarget {
  let base = '';
  let before = '';
  const root = () => path.join(base, 'root');
  const lower = () => path.join(base, 'lower');
  const sentinel = () => path.join(base, 'sentinel');
  /** Everything outside the root, for the check after each input. */
  const outside = () =>
    readdirSync(base)
      .sort()
      .filter((n) => n !== 'root')
      .map((n) => `${n}:\n${fingerprint(path.join(base, n))}`)
      .join('\n') +
    `\nbase: ${readdirSync(base).sort().join(',')} ${(lstatSync(base).mode & 0o7777).toString(8)}`;

  const prepareRoot = () => {
    rmSync(root(), { recursive: true, force: true });
    mkdirSync(path.join(root(), 'etc'), { recursive: true });
    mkdirSync(path.join(root(), 'dest'));
    writeFileSync(path.join(root(), 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    symlinkSync('../sentinel', path.join(root(), 'rel'));
    symlinkSync(sentinel(), path.join(root(), 'abs'));
    symlinkSync('../../..', path.join(root(), 'dest', 'up'));
    symlinkSync(path.join(sentinel(), 'canary'), path.join(root(), 'canary'));
  };

  return {
    name: 'tar-extract',
    maxLen: 16384,
    timeoutMs: 10_000,
    get dict() {
      return [
        'ustar\x0000',
        'ustar  \x00',
        '../',
        '../sentinel/',
        'rel/',
        'abs/x',
        'dest/up/',
        'canary',
        '.wh.',
        '.wh..wh..opq',
        'etc/passwd',
        '/',
        '//',
        './',
        'path=',
        'linkpath=',
        'SCHILY.xattr.user.x=',
        'SCHILY.xattr.trusted.overlay.opaque=y',
        'GNU.sparse.',
        '0000644\x00',
        '0000777\x00',
        '00000000000\x00',
        '77777777777\x00',
        base ? sentinel() : '/tmp',
        base ? path.join(sentinel(), 'canary') : '/tmp',
      ];
    },
    expected: (err) =>
      typedRefusal(err) ||
      // applyLayer's stream errors (a truncated or garbled tar) are typed; node's own stream errors too.
      (err instanceof Error && (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE'),
    setup() {
      base = mkdtempSync(path.join(os.tmpdir(), 'tsctr-fuzz-tar-'));
      mkdirSync(sentinel());
      writeFileSync(path.join(sentinel(), 'canary'), CANARY);
      chmodSync(path.join(sentinel(), 'canary'), 0o640);
      mkdirSync(path.join(lower(), 'etc'), { recursive: true });
      writeFileSync(path.join(lower(), 'etc', 'hosts'), '127.0.0.1 localhost\n');
      symlinkSync('../sentinel', path.join(lower(), 'etc', 'out'));
      prepareRoot();
      before = outside();
    },
    teardown() {
      rmSync(base, { recursive: true, force: true });
    },
    async run(data) {
      prepareRoot();
      const mode = data.length % 3;
      try {
        if (mode === 2) {
          await extractInto(root(), '/dest', Readable.from([data]));
        } else {
          await applyLayer(Readable.from([data]), 'application/vnd.oci.image.layer.v1.tar', {
            root: root(),
            lowers: mode === 0 ? [lower()] : [],
            mode: mode === 0 ? 'overlay' : 'naive',
          });
        }
      } finally {
        const after = outside();
        if (after !== before) {
          const b = before.split('\n');
          const diff = after.split('\n').filter((l) => !b.includes(l));
          throw new Violation(`written outside the root (mode ${mode}): ${diff.join(' | ')}`);
        }
      }
    },
  };
}
