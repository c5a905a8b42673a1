// The common setup of the task-level tests: a registry with the busybox test image, a tsctrd, and
// the image pulled into it with the real ctr.
import { Tsctrd } from './harness.js';
import { type RunningRegistry, pushTestImage, startRegistry } from './registry.js';
import { busybox } from './testimages.js';

export interface BusyboxDaemon {
  d: Tsctrd;
  reg: RunningRegistry;
  ref: string;
  stop(): Promise<void>;
}

export async function busyboxDaemon(ns?: string): Promise<BusyboxDaemon> {
  const reg = await startRegistry();
  const ref = await pushTestImage(reg, 'busybox:latest', await busybox());
  const d = await Tsctrd.start();
  const p = await d.ctr(['images', 'pull', '--plain-http', ref], ns ? { ns } : {});
  if (p.code !== 0) throw new Error(`pull failed: ${p.stderr}`);
  return {
    d,
    reg,
    ref,
    async stop() {
      await d.cleanup();
      await reg.stop();
    },
  };
}
