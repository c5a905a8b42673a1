// A create body's storage, turned into mount points: -v binds and named/anonymous volumes (`Binds`),
// `--mount` (`Mounts`), `--tmpfs` (`Tmpfs`), and the anonymous volumes the body's or the image's
// `Volumes` ask for.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { InvalidParameter } from '../errdefs/index.js';
import type { HostConfig, MountPoint } from './types.js';
import type { VolumeStore } from './volumes.js';

const BIND_MODES = new Set([
  'ro',
  'rw',
  'z',
  'Z',
  'nocopy',
  'shared',
  'rshared',
  'slave',
  'rslave',
  'private',
  'rprivate',
  'consistent',
  'cached',
  'delegated',
]);
const PROPAGATION = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

function cleanDest(d: string, spec: string): string {
  if (!d.startsWith('/'))
    throw new InvalidParameter(`invalid mount config: mount path must be absolute: ${spec}`);
  const c = path.posix.normalize(d);
  if (c === '/') throw new InvalidParameter(`invalid specification: destination can't be '/' in '${spec}'`);
  return c.replace(/\/$/, '');
}

function parseBind(spec: string): { src: string; dst: string; mode: string } {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p, i) => p === '' && i < 2)) {
    throw new InvalidParameter(`invalid volume specification: '${spec}'`);
  }
  const [src, dst, mode = ''] = parts;
  for (const m of mode.split(',').filter(Boolean)) {
    if (!BIND_MODES.has(m)) throw new InvalidParameter(`invalid mode: ${mode}`);
  }
  return { src, dst: cleanDest(dst, spec), mode };
}

export interface MountInputs {
  hostConfig: HostConfig;
  /** Container paths the body's `Volumes` and the image's `VOLUME` ask for. */
  volumePaths: string[];
  volumes: VolumeStore;
  /** Called for each volume created on the way (the caller publishes the events). */
  onVolumeCreated?: (name: string) => void;
}

export function resolveMounts({
  hostConfig: hc,
  volumePaths,
  volumes,
  onVolumeCreated,
}: MountInputs): MountPoint[] {
  const out = new Map<string, MountPoint>();
  const add = (m: MountPoint, spec: string) => {
    if (out.has(m.Destination)) throw new InvalidParameter(`Duplicate mount point: ${m.Destination}`);
    out.set(m.Destination, m);
    void spec;
  };
  const volume = (name: string, anonymous: boolean) => {
    const { volume: v, created } = volumes.create(name || undefined, { anonymous });
    if (created) onVolumeCreated?.(v.Name);
    return v;
  };

  for (const spec of hc.Binds ?? []) {
    const { src, dst, mode } = parseBind(spec);
    const modes = mode.split(',').filter(Boolean);
    const rw = !modes.includes('ro');
    const propagation = modes.find((m) => PROPAGATION.has(m)) ?? 'rprivate';
    if (src.startsWith('/')) {
      const source = path.normalize(src);
      // -v creates a missing host directory, as Docker does.
      if (!existsSync(source)) mkdirSync(source, { recursive: true });
      add(
        { Type: 'bind', Source: source, Destination: dst, Mode: mode, RW: rw, Propagation: propagation },
        spec,
      );
    } else {
      const v = volume(src, false);
      add(
        {
          Type: 'volume',
          Name: v.Name,
          Source: v.Mountpoint,
          Destination: dst,
          Driver: 'local',
          Mode: mode || 'z',
          RW: rw,
          Propagation: '',
        },
        spec,
      );
    }
  }

  for (const m of hc.Mounts ?? []) {
    const target = cleanDest(m.Target ?? '', JSON.stringify(m));
    const rw = !m.ReadOnly;
    if (m.Type === 'bind') {
      const src = m.Source ?? '';
      if (!src.startsWith('/'))
        throw new InvalidParameter(
          `invalid mount config for type "bind": invalid mount path: '${src}' mount path must be absolute`,
        );
      if (!existsSync(src))
        throw new InvalidParameter(
          `invalid mount config for type "bind": bind source path does not exist: ${src}`,
        );
      add(
        {
          Type: 'bind',
          Source: path.normalize(src),
          Destination: target,
          Mode: '',
          RW: rw,
          Propagation: m.BindOptions?.Propagation || 'rprivate',
        },
        target,
      );
    } else if (m.Type === 'volume' || m.Type === undefined) {
      const v = volume(m.Source ?? '', !m.Source);
      add(
        {
          Type: 'volume',
          Name: v.Name,
          Source: v.Mountpoint,
          Destination: target,
          Driver: 'local',
          Mode: 'z',
          RW: rw,
          Propagation: '',
          ...(m.Source ? {} : { anonymous: true }),
        },
        target,
      );
    } else if (m.Type === 'tmpfs') {
      if (m.Source)
        throw new InvalidParameter('invalid mount config for type "tmpfs": Source must not be specified');
      const opts = ['nosuid', 'nodev', 'noexec'];
      if (m.TmpfsOptions?.SizeBytes) opts.push(`size=${m.TmpfsOptions.SizeBytes}`);
      if (m.TmpfsOptions?.Mode) opts.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
      if (!rw) opts.push('ro');
      add(
        {
          Type: 'tmpfs',
          Source: '',
          Destination: target,
          Mode: '',
          RW: rw,
          Propagation: '',
          tmpfsOptions: opts,
        },
        target,
      );
    } else {
      throw new InvalidParameter(`invalid mount config: mount type unknown: "${m.Type}"`);
    }
  }

  for (const [dst, options] of Object.entries(hc.Tmpfs ?? {})) {
    const target = cleanDest(dst, dst);
    const opts = ['nosuid', 'nodev', 'noexec', ...(options ? options.split(',') : [])];
    add(
      {
        Type: 'tmpfs',
        Source: '',
        Destination: target,
        Mode: options,
        RW: !opts.includes('ro'),
        Propagation: '',
        tmpfsOptions: opts,
      },
      target,
    );
  }

  for (const p of volumePaths) {
    const dst = cleanDest(p, p);
    if (out.has(dst)) continue;
    const v = volume('', true);
    out.set(dst, {
      Type: 'volume',
      Name: v.Name,
      Source: v.Mountpoint,
      Destination: dst,
      Driver: 'local',
      Mode: '',
      RW: true,
      Propagation: '',
      anonymous: true,
    });
  }
  return [...out.values()];
}
