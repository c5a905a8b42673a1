// Start-up launcher (CommonJS on purpose): compiles the bundle with a V8 code cache so a cold start
// skips most parsing and compiling. The cache is written at build time (TSCTR_WRITE_CODE_CACHE=1) and
// is ignored by V8 if it does not match this Node.js build.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');

const bundle = path.join(__dirname, '__BUNDLE__');
const cacheFile = `${bundle}.v8cache`;
// The bundle is stored wrapped in the module function (build.mjs): compiled as read, one copy.
const source = fs.readFileSync(bundle, 'utf8');
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(source, { filename: bundle, cachedData });
const mod = new Module(bundle, module);
mod.filename = bundle;
mod.paths = Module._nodeModulePaths(path.dirname(bundle));
const req = (id) => mod.require(id);
req.resolve = (id) => Module._resolveFilename(id, mod);
if (process.env.TSCTR_WRITE_CODE_CACHE === '1') {
  process.on('exit', () => {
    const tmp = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(tmp, script.createCachedData());
    fs.renameSync(tmp, cacheFile);
  });
} else if (process.env.TSCTR_DEBUG_CODE_CACHE === '1') {
  process.stderr.write(
    `code cache ${cachedData ? (script.cachedDataRejected ? 'rejected' : 'used') : 'missing'}\n`,
  );
}
script.runInThisContext()(mod.exports, req, mod, bundle, path.dirname(bundle));
