// What inspect and list return for a container: the record in Docker's shapes, with the fields
// clients read filled and Docker's human `Status` text.
import { inspectNetworkSettings, listNetworks, listPorts } from '../../network/views.js';
import { networkState } from '../../network/state.js';
import type { ContainerRecord, MountPoint } from '../types.js';

/** go-units HumanDuration, which `docker ps` shows ("Up 2 minutes", "Exited (0) 5 seconds ago"). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const s = rec.State;
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Running) {
    const health = s.Health
      ? s.Health.Status === 'starting'
        ? ' (health: starting)'
        : ` (${s.Health.Status})`
      : '';
    return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : health}`;
  }
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (!rec.HasBeenStarted || s.FinishedAt.startsWith('0001')) return 'Created';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

function publicMount(m: MountPoint): Record<string, unknown> {
  return {
    Type: m.Type,
    ...(m.Name ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    ...(m.Driver ? { Driver: m.Driver } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  };
}

export function inspectView(
  rec: ContainerRecord,
  o: { execIds: string[]; graph: Record<string, string> },
): Record<string, unknown> {
  return {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: { ...rec.State },
    Image: rec.Image,
    ResolvConfPath: rec.ResolvConfPath,
    HostnamePath: rec.HostnamePath,
    HostsPath: rec.HostsPath,
    LogPath: rec.LogPath,
    Name: rec.Name,
    RestartCount: rec.RestartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: o.execIds.length > 0 ? o.execIds : null,
    HostConfig: rec.HostConfig,
    GraphDriver: { Data: o.graph, Name: 'overlay2' },
    Mounts: rec.Mounts.map(publicMount),
    Config: rec.Config,
    NetworkSettings: inspectNetworkSettings(rec),
  };
}

function command(rec: ContainerRecord): string {
  return [rec.Path, ...rec.Args].map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ');
}

export function listView(
  rec: ContainerRecord,
  size?: { rw: number; rootfs: number },
): Record<string, unknown> {
  return {
    Id: rec.Id,
    Names: [rec.Name],
    Image: rec.Config.Image,
    ImageID: rec.Image,
    Command: command(rec),
    Created: Math.floor(Date.parse(rec.Created) / 1000),
    Ports: listPorts(rec),
    ...(size ? { SizeRw: size.rw, SizeRootFs: size.rootfs } : {}),
    Labels: rec.Config.Labels ?? {},
    State: rec.State.Restarting ? 'restarting' : rec.State.Status,
    Status: statusText(rec),
    HostConfig: { NetworkMode: rec.HostConfig.NetworkMode || 'default' },
    NetworkSettings: { Networks: listNetworks(rec) },
    Mounts: rec.Mounts.map(publicMount),
  };
}

/** `docker ps --filter`: id, name, label, status, ancestor, exited, before, since, volume, network. */
export function listFilter(
  f: Map<string, string[]>,
  resolveRef: (ref: string) => ContainerRecord | undefined,
  imageMatches: (rec: ContainerRecord, ref: string) => boolean,
): (rec: ContainerRecord) => boolean {
  const before = f
    .get('before')
    ?.map(resolveRef)
    .filter((r): r is ContainerRecord => !!r);
  const since = f
    .get('since')
    ?.map(resolveRef)
    .filter((r): r is ContainerRecord => !!r);
  const any = (key: string, test: (v: string) => boolean) => {
    const values = f.get(key);
    return !values || values.length === 0 || values.some(test);
  };
  return (rec) => {
    const labels = rec.Config.Labels ?? {};
    const state = rec.State.Restarting ? 'restarting' : rec.State.Status;
    return (
      any('id', (v) => rec.Id.startsWith(v)) &&
      any('name', (v) => {
        try {
          return new RegExp(v).test(rec.Name.slice(1)) || new RegExp(v).test(rec.Name);
        } catch {
          return rec.Name.includes(v);
        }
      }) &&
      (f.get('label') ?? []).every((v) => {
        const [k, ...rest] = v.split('=');
        return rest.length === 0 ? k in labels : labels[k] === rest.join('=');
      }) &&
      any('status', (v) => v === state) &&
      any('exited', (v) => rec.HasBeenStarted && !rec.State.Running && String(rec.State.ExitCode) === v) &&
      any('ancestor', (v) => imageMatches(rec, v)) &&
      any('volume', (v) => rec.Mounts.some((m) => m.Name === v || m.Destination === v || m.Source === v)) &&
      any('network', (v) => v in networkState(rec).Networks) &&
      any('health', (v) => (rec.State.Health?.Status ?? 'none') === v) &&
      (!before || before.every((b) => rec.Created < b.Created)) &&
      (!since || since.every((s) => rec.Created > s.Created))
    );
  };
}
