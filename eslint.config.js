import tseslint from 'typescript-eslint';

// ---------------------------------------------------------------------------------------------------
// Layer boundaries: the "may import" column of the folder table in ARCHITECTURE.md, as eslint's core
// `no-restricted-imports`. Imports are relative, so a file `depth` directories below the repo root
// reaches top-level folder X as `../` × depth + `X/`; one `files:` block per depth matches exactly that.
// (Only one block may set the rule for a file: flat config replaces rule options, it does not merge.)
// ---------------------------------------------------------------------------------------------------
const TOP = ['api', 'services', 'shim', 'client', 'pkg', 'dockerd', 'cmd', 'integration', 'bench'];
const MAX_DEPTH = 8;

/** What each layer may import of ours (besides itself). */
const MAY_IMPORT = {
  api: [],
  services: ['api', 'pkg'],
  shim: ['api', 'pkg/sys'],
  client: ['api', 'pkg'],
  // The error kinds (api/errdefs.ts) are a dependency-free leaf every layer shares, pkg/ included.
  pkg: ['api/errdefs.js'],
  dockerd: ['client', 'pkg', 'api'],
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Patterns refusing, from a file `depth` directories deep, every top-level folder `folder` may not use. */
function forbiddenFrom(folder, depth) {
  const up = `^(?:\\.\\./){${depth}}`;
  const allowed = MAY_IMPORT[folder];
  const patterns = [];
  for (const top of TOP) {
    if (top === folder || allowed.includes(top)) continue;
    const only = allowed.filter((a) => a.startsWith(`${top}/`)).map((a) => a.slice(top.length + 1));
    const except = only.map((o) => `(?!${escape(o)}(?:/|$))`).join('');
    patterns.push({
      regex: `${up}${escape(top)}/${except}`,
      message:
        `${folder}/ may import only ${allowed.length ? allowed.map((a) => (a.endsWith('.js') ? a : `${a}/`)).join(', ') : 'nothing of ours'}` +
        ` (ARCHITECTURE.md folder table): not ${top}/${only.length ? ` except ${only.map((o) => `${top}/${o}`).join(', ')}` : ''}.`,
    });
  }
  return patterns;
}

/** One config block per depth below `dir` (a folder `dirDepth` levels deep), with `extra(depth)` patterns. */
function blocksFor(dir, folder, extra = () => []) {
  const dirDepth = dir.split('/').length;
  return Array.from({ length: MAX_DEPTH }, (_, k) => ({
    files: [`${dir}/${'*/'.repeat(k)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...forbiddenFrom(folder, dirDepth + k), ...extra(k + 1)] },
      ],
    },
  }));
}

const layerBoundaries = Object.keys(MAY_IMPORT).flatMap((folder) => blocksFor(folder, folder));

/**
 * dockerd/backend/** must not import dockerd/http/ or dockerd/routes/ (errors are status-free kinds;
 * only http/ knows status codes).
 */
export const dockerdBackendBoundary = blocksFor('dockerd/backend', 'dockerd', (depthBelowDockerd) =>
  ['http', 'routes'].map((sub) => ({
    regex: `^(?:\\.\\./){${depthBelowDockerd}}${sub}/`,
    message: `dockerd/backend/ must not import dockerd/${sub}/ (ARCHITECTURE.md "The Docker layer"): use dockerd/errdefs/ kinds.`,
  })),
);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'api/gen/**'] },
  ...tseslint.configs.recommended,
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...layerBoundaries,
  ...dockerdBackendBoundary,
);
