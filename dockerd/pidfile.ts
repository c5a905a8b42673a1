// One tsctr-dockerd per data root (two would fight over the same containers): a pid file, refused
// while the process it names is alive and is a tsctr-dockerd.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tsctr-dockerd');
  } catch {
    return false;
  }
}

export function claimDataRoot(dataRoot: string): void {
  const file = path.join(dataRoot, 'tsctr-dockerd.pid');
  let other = 0;
  try {
    other = Number(readFileSync(file, 'utf8').trim());
  } catch {
    other = 0;
  }
  if (other && other !== process.pid && alive(other)) {
    throw new Error(`another tsctr-dockerd (pid ${other}) is using data root ${dataRoot}`);
  }
  writeFileSync(`${file}.tmp`, `${process.pid}\n`);
  renameSync(`${file}.tmp`, file);
}
