// Bundles each entry point into one file under dist/ (fewer module loads = faster start).
// Native addons stay external and load from node_modules.
import { build } from 'esbuild';
import { chmod } from 'node:fs/promises';

const entries = ['tsctrd', 'tsctr', 'tsctr-shim', 'tsctr-dockerd'];

await build({
  entryPoints: Object.fromEntries(entries.map((e) => [e, `cmd/${e}.ts`])),
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  external: ['classic-level'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __tsctrRequire } from 'node:module'; const require = __tsctrRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
for (const e of entries) await chmod(`dist/${e}.js`, 0o755);
