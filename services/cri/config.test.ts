import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { criDefaults, parseCriConfig } from './config.js';
import { confinedLogPath } from './containers.js';
import { normalizeRef } from './reference.js';

describe('[cri] config keys', () => {
  it('reads containerd-named keys and keeps defaults for the rest', () => {
    const t = parse(`
[cri]
sandbox_image = "127.0.0.1:5000/pause:3.6"
restrict_oom_score_adj = true
stream_server_port = "10010"
[cri.cni]
conf_dir = "/tmp/net.d"
[cri.registry]
config_path = "/tmp/certs.d"
`);
    const c = parseCriConfig(t);
    expect(c).toEqual({
      ...criDefaults(),
      sandboxImage: '127.0.0.1:5000/pause:3.6',
      restrictOomScoreAdj: true,
      streamServerPort: '10010',
      cni: { binDir: '/usr/lib/cni', confDir: '/tmp/net.d' },
      registry: { configPath: '/tmp/certs.d' },
    });
    expect(parseCriConfig({})).toEqual(criDefaults());
  });

  it('refuses unknown keys, wrong types and bad ports with the key named', () => {
    expect(() => parseCriConfig(parse('[cri]\nsandbox = "x"\n'))).toThrow(/unknown key cri.sandbox/);
    expect(() => parseCriConfig(parse('[cri.cni]\nbin = "x"\n'))).toThrow(/unknown key cri.cni.bin/);
    expect(() => parseCriConfig(parse('[cri]\ndisable_apparmor = "no"\n'))).toThrow(
      /disable_apparmor must be true or false/,
    );
    expect(() => parseCriConfig(parse('[cri]\nstream_server_port = "http"\n'))).toThrow(/stream_server_port/);
  });
});

describe('log paths', () => {
  it('stay inside the pod log directory', () => {
    expect(confinedLogPath('/var/log/pods/p', 'c/0.log')).toBe('/var/log/pods/p/c/0.log');
    expect(() => confinedLogPath('/var/log/pods/p', '../../../etc/passwd')).toThrow(/leaves/);
    expect(() => confinedLogPath('/var/log/pods/p', '/etc/passwd')).toThrow(/relative/);
    expect(() => confinedLogPath('', 'x.log')).toThrow(/no log_directory/);
    expect(confinedLogPath('/var/log/pods/p', '')).toBe('');
  });
});

describe('image names', () => {
  it('normalises as containerd does', () => {
    expect(normalizeRef('busybox').full).toBe('docker.io/library/busybox:latest');
    expect(normalizeRef('127.0.0.1:5000/x/y:1').full).toBe('127.0.0.1:5000/x/y:1');
    expect(normalizeRef('user/app').full).toBe('docker.io/user/app:latest');
    expect(() => normalizeRef('Bad Name')).toThrow(/invalid image reference/);
  });
});
