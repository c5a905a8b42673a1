// The "may import" column of ARCHITECTURE.md's folder table, enforced by eslint.config.js: a layer
// reaching around another fails `npm run lint` with a message naming the rule it broke.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO, run } from './harness.js';

const DOCKERD_MSG =
  'dockerd/ may import only client/, pkg/, api/ (ARCHITECTURE.md folder table): not services/';

/** The messages eslint gives for `source` as if it were the file `file` (relative to the repo). */
async function lint(file: string, source: string, overrideConfig?: Linter.Config[]): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO, overrideConfig });
  const [result] = await eslint.lintText(source, { filePath: path.join(REPO, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer boundaries in eslint', () => {
  it('fails `npx eslint` on a dockerd file importing services/', async () => {
    const probe = path.join(REPO, 'dockerd', `lint-probe-${process.pid}.ts`);
    await fs.writeFile(
      probe,
      "import { ContentStore } from '../services/content/store.js';\n\nexport type Probe = ContentStore;\n",
    );
    try {
      const r = await run('npx', ['eslint', probe], { timeoutMs: 60_000 });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(DOCKERD_MSG);
    } finally {
      await fs.rm(probe, { force: true });
    }
  });

  it.each([
    ['dockerd/backend/containers/x.ts', '../../../services/tasks/manager.js', 'dockerd/', 'services/'],
    ['dockerd/x.ts', '../shim/runc.js', 'dockerd/', 'shim/'],
    ['dockerd/routes/x.ts', '../../cmd/tsctrd.js', 'dockerd/', 'cmd/'],
    ['api/ttrpc/x.ts', '../../services/metadata/db.js', 'api/', 'services/'],
    ['api/x.ts', '../client/connection.js', 'api/', 'client/'],
    ['services/content/x.ts', '../../client/connection.js', 'services/', 'client/'],
    ['services/x.ts', '../dockerd/engine.js', 'services/', 'dockerd/'],
    ['shim/x.ts', '../services/tasks/shims.js', 'shim/', 'services/'],
    ['shim/x.ts', '../pkg/archive/tar.js', 'shim/', 'pkg/ except pkg/sys'],
    ['client/tasks/x.ts', '../../services/content/store.js', 'client/', 'services/'],
    ['client/x.ts', '../dockerd/engine.js', 'client/', 'dockerd/'],
    ['pkg/sys/x.ts', '../../client/mount.js', 'pkg/', 'client/'],
  ])('refuses %s importing %s', async (file, from, layer, what) => {
    const messages = await lint(file, `import '${from}';\n`);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`${layer} may import only`);
    expect(messages[0]).toContain(`: not ${what}`);
  });

  it.each([
    ['dockerd/backend/containers/x.ts', '../../../client/connection.js'],
    ['dockerd/x.ts', '../api/errdefs.js'],
    ['dockerd/routes/x.ts', '../backend/engine.js'],
    ['services/tasks/x.ts', '../../api/errdefs.js'],
    ['services/tasks/x.ts', '../metadata/db.js'],
    ['api/ttrpc/x.ts', '../gen/containerd/services/tasks/v1/tasks.js'],
    ['shim/x.ts', '../pkg/sys/mount.js'],
    ['shim/x.ts', '../api/ttrpc/server.js'],
    ['client/x.ts', '../pkg/archive/tar.js'],
    ['cmd/x.ts', '../services/server/daemon.js'],
    ['integration/x.ts', '../dockerd/backend/engine.js'],
    ['bench/x.ts', '../shim/runc.js'],
  ])('lets %s import %s', async (file, from) => {
    expect(await lint(file, `import '${from}';\n`)).toEqual([]);
  });

  it('keeps dockerd/backend away from dockerd/http and dockerd/routes', async () => {
    expect(await lint('dockerd/backend/x.ts', "import '../http/errors.js';\n")).toEqual([
      expect.stringContaining('dockerd/backend/ must not import dockerd/http/'),
    ]);
    expect(await lint('dockerd/backend/containers/x.ts', "import '../../routes/x.js';\n")).toEqual([
      expect.stringContaining('dockerd/backend/ must not import dockerd/routes/'),
    ]);
    // The backend's own block still carries the rules of dockerd/ as a whole.
    expect(await lint('dockerd/backend/containers/x.ts', "import '../../../services/x.js';\n")).toEqual([
      expect.stringContaining(DOCKERD_MSG),
    ]);
    expect(await lint('dockerd/backend/x.ts', "import '../errdefs/index.js';\n")).toEqual([]);
    expect(await lint('dockerd/routes/x.ts', "import '../http/errors.js';\n")).toEqual([]);
  });

  it('lets pkg/ use the shared error kinds of api/errdefs.ts, and nothing else of api/', async () => {
    expect(await lint('pkg/archive/x.ts', "import '../../api/errdefs.js';\n")).toEqual([]);
    expect(await lint('pkg/archive/x.ts', "import '../../api/gen/containerd/types/mount.js';\n")).toEqual([
      expect.stringContaining(
        'pkg/ may import only api/errdefs.js (ARCHITECTURE.md folder table): not api/ except api/errdefs.js',
      ),
    ]);
  });
});
