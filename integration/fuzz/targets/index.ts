// Every fuzz target by name (run.ts and fuzz.test.ts take them from here).
import type { FuzzTarget } from '../engine.js';
import { createBodyTarget } from './create-body.js';
import { dnsTarget } from './dns.js';
import { dockerfileTarget } from './dockerfile.js';
import { filterTarget } from './filter.js';
import { jsonfileLogTarget } from './jsonfile-log.js';
import { referenceTarget } from './reference.js';
import { tarExtractTarget } from './tar-extract.js';
import { ttrpcFrameTarget } from './ttrpc-frame.js';

export const TARGETS: Record<string, () => FuzzTarget | Promise<FuzzTarget>> = {
  'create-body': createBodyTarget,
  dns: dnsTarget,
  dockerfile: dockerfileTarget,
  filter: filterTarget,
  'jsonfile-log': jsonfileLogTarget,
  reference: referenceTarget,
  'tar-extract': tarExtractTarget,
  'ttrpc-frame': ttrpcFrameTarget,
};
