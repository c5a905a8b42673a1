// tsctr-shim: one per container (shim v2 convention: start | delete; serve is internal).
import { del, parseShimArgs, serve, spare, start } from '../shim/main.js';

async function main(): Promise<void> {
  const a = parseShimArgs(process.argv.slice(2));
  if (a.action === 'start') return start(a);
  if (a.action === 'serve') return serve(a);
  if (a.action === 'delete') return del(a);
  if (a.action === 'spare') return spare(a);
  process.stderr.write(
    'usage: tsctr-shim -namespace NS -address ADDR -publish-binary BIN -id ID start|delete\n',
  );
  process.exit(2);
}

main().catch((e: unknown) => {
  process.stderr.write(`tsctr-shim: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
