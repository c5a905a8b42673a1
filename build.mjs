// Bundles each entry point into one minified CommonJS file under dist/ (fewer module loads and less to
// parse = faster start), plus a tiny launcher that runs it through a V8 code cache made at build time.
// Native addons stay external and load from node_modules.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import Module from 'node:module';

const entries = ['tsctrd', 'tsctr', 'tsctr-shim', 'tsctr-dockerd'];

await rm('dist', { recursive: true, force: true });
const common = {
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  // classic-level's JS is bundled; only its native binary loads from node_modules at run time.
  plugins: [
    {
      name: 'classic-level-binding',
      setup(b) {
        b.onResolve({ filter: /^\.\/binding$/ }, (args) =>
          args.resolveDir.includes('classic-level') ? { path: 'classic-level-binding', namespace: 'tsctr' } : undefined,
        );
        b.onLoad({ filter: /.*/, namespace: 'tsctr' }, () => ({
          contents:
            "module.exports = require('node-gyp-build')(require('path').join(__dirname, '..', 'node_modules', 'classic-level'));",
          resolveDir: process.cwd(),
          loader: 'js',
        }));
      },
    },
  ],
  define: { 'import.meta.url': '__tsctrImportMetaUrl' },
  banner: { js: "var __tsctrImportMetaUrl=require('url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: Object.fromEntries(entries.filter((e) => e !== 'tsctr-shim').map((e) => [`${e}.bundle`, `cmd/${e}.ts`])),
});
// Every container pays for its shim's memory: no gRPC library in it (see shim/grpc-stub.ts).
await build({
  ...common,
  entryPoints: { 'tsctr-shim.bundle': 'cmd/tsctr-shim.ts' },
  alias: { '@grpc/grpc-js': './shim/grpc-stub.ts' },
});

// Each bundle is stored already wrapped in the CommonJS module function, so the launcher compiles the
// file's text as it is read: wrapping at run time made a second copy of the whole source, and V8 keeps
// the wrapped one for lazy compilation while the first waits for a full GC (233 KiB per shim, 1 MiB
// in tsctrd) that an idle process may never run.
for (const e of entries) {
  const file = `dist/${e}.bundle.cjs`;
  await writeFile(file, Module.wrap(await readFile(file, 'utf8')));
}

// dist/ holds CommonJS (the repo itself is ESM).
await writeFile('dist/package.json', '{ "type": "commonjs" }\n');
const launcher = await readFile('cmd/launcher.cjs', 'utf8');
for (const e of entries) {
  const file = `dist/${e}.js`;
  await writeFile(file, `#!/usr/bin/env node\n${launcher.replace('__BUNDLE__', `${e}.bundle.cjs`)}`);
  await chmod(file, 0o755);
}
// Warm the code caches: run each entry once so V8 records what it compiled.
for (const e of entries) {
  try {
    execFileSync(process.execPath, [`dist/${e}.js`, '--help'], { stdio: 'ignore', env: { ...process.env, TSCTR_WRITE_CODE_CACHE: '1' } });
  } catch {
    // entries that are not built yet exit non-zero; their cache is still written
  }
}
