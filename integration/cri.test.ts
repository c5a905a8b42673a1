// The CRI on tsctrd driven by the real crictl 1.29: images, pods over the CNI plugins, containers in
// pods, logs, exec, security context, bad input, and a kill -9 of tsctrd with pods running.
import { existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../client/remotes/index.js';
import { TOKEN_PASSWORD, TOKEN_USER, startTokenRegistry } from '../client/remotes/testing/token-registry.js';
import { CriEnv } from './cri-harness.js';
import { busybox } from './testimages.js';
import { freeLoopbackPorts } from './free-port.js';
import { until } from './wait.js';

let env: CriEnv;

beforeAll(async () => {
  env = await CriEnv.start();
}, 120_000);

afterAll(async () => {
  await env?.cleanup();
}, 120_000);

const podConfig = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
  hostname: name,
  log_directory: path.join(env.d.dir, 'logs', name),
  dns_config: { servers: ['127.0.0.1'], searches: ['example.test'], options: ['ndots:2'] },
  linux: {},
  ...extra,
});

const ctrConfig = (name: string, args: string[], extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  image: { image: env.images.busybox },
  command: args,
  log_path: `${name}.log`,
  linux: {},
  ...extra,
});

function get(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

describe('crictl against tsctrd: images', () => {
  it('version and info report the runtime tsctr and a ready network', async () => {
    const v = await env.ok(['version']);
    expect(v).toContain('RuntimeName:  tsctr');
    expect(v).toContain('RuntimeApiVersion:  v1');
    const info = JSON.parse(await env.ok(['info'])) as {
      status: { conditions: Array<{ type: string; status: boolean }> };
    };
    expect(info.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'RuntimeReady', status: true }),
        expect.objectContaining({ type: 'NetworkReady', status: true }),
      ]),
    );
  });

  it('pull, images, inspecti, rmi; the image is shared with ctr -n k8s.io', async () => {
    const out = await env.ok(['pull', env.images.busybox]);
    expect(out).toMatch(/Image is up to date for sha256:[a-f0-9]{64}/);
    const list = await env.ok(['images']);
    expect(list).toContain(env.images.busybox.replace(/:test$/, ''));
    const ctr = await env.d.ctr(['images', 'ls', '-q'], { ns: 'k8s.io' });
    expect(ctr.stdout).toContain(env.images.busybox);
    const id = (await env.ok(['images', '-q', env.images.busybox])).split('\n')[0];
    expect(id).toMatch(/^sha256:[a-f0-9]{64}$/);
    const st = JSON.parse(await env.ok(['inspecti', env.images.busybox])) as {
      status: { id: string; repoTags: string[] };
    };
    expect(st.status.id).toBe(id);
    expect(st.status.repoTags).toContain(env.images.busybox);
    // A second name for the same image, then rmi by name removes the whole image.
    await env.ok(['pull', env.images.pause]);
    await env.ok(['rmi', env.images.pause]);
    expect(await env.ok(['images', '-q'])).not.toContain(env.images.pause);
    expect((await env.d.ctr(['images', 'ls', '-q'], { ns: 'k8s.io' })).stdout).not.toContain(
      env.images.pause,
    );
    const missing = await env.crictl(['inspecti', '127.0.0.1:1/nothing:here']);
    expect(missing.code).not.toBe(0);
  }, 120_000);
});

describe('crictl against tsctrd: registry credentials', () => {
  it('pull with --creds from a registry with bearer-token auth; without them it is refused', async () => {
    const tr = await startTokenRegistry();
    try {
      const img = await busybox();
      const r = new Registry({ credentials: () => ({ username: TOKEN_USER, password: TOKEN_PASSWORD }) });
      const ref = `${tr.reg.host}/private/busybox:v1`;
      for (const l of [...img.layers, img.config]) await r.pushBlob(ref, l, l.data);
      await r.pushManifest(ref, img.manifest, img.manifest.data, { tag: 'v1' });
      const anon = await env.crictl(['pull', ref]);
      expect(anon.code).not.toBe(0);
      const bad = await env.crictl(['pull', '--creds', `${TOKEN_USER}:wrong`, ref]);
      expect(bad.code).not.toBe(0);
      const ok = await env.crictl(['pull', '--creds', `${TOKEN_USER}:${TOKEN_PASSWORD}`, ref]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(await env.ok(['images'])).toContain(`${tr.reg.host}/private/busybox`);
      await env.ok(['rmi', ref]);
    } finally {
      await tr.stop();
    }
  }, 90_000);
});

describe('crictl against tsctrd: registry hosts (certs.d)', () => {
  it('pulls through the hosts.toml of config_path: mirror and plain-http server, never the named host', async () => {
    const dir = path.join(env.d.dir, 'certs.d', 'registry.test');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(
      path.join(dir, 'hosts.toml'),
      `server = "http://${env.reg.host}"\n[host."http://${env.reg.host}"]\n  capabilities = ["pull", "resolve"]\n`,
    );
    const out = await env.ok(['pull', 'registry.test/busybox:test']);
    expect(out).toMatch(/Image is up to date for sha256:/);
    expect(await env.ok(['images'])).toContain('registry.test/busybox');
    await env.ok(['rmi', 'registry.test/busybox:test']);
  }, 60_000);
});

describe('crictl against tsctrd: pods and containers', () => {
  beforeAll(async () => {
    await env.ok(['pull', env.images.busybox]);
  }, 60_000);

  it('runs a pod with two containers sharing the network, logs in CRI format, hostPort on 127.0.0.1', async () => {
    const [hostPort] = [await freeLoopbackPorts(1)];
    const podFile = await env.file(
      'pod-web.json',
      podConfig('web', {
        port_mappings: [{ protocol: 0, container_port: 8080, host_port: hostPort, host_ip: '127.0.0.1' }],
      }),
    );
    await env.ok(['pull', env.images.busybox]);
    const pod = await env.ok(['runp', podFile]);
    expect(pod).toMatch(/^[a-f0-9]{64}$/);
    const insp = JSON.parse(await env.ok(['inspectp', pod])) as {
      status: { state: string; network: { ip: string } };
    };
    expect(insp.status.state).toBe('SANDBOX_READY');
    expect(insp.status.network.ip.startsWith(env.subnet.replace(/0\/24$/, ''))).toBe(true);
    expect(await env.ok(['pods', '-q'])).toContain(pod);

    const webFile = await env.file(
      'ctr-web.json',
      ctrConfig('server', [
        'sh',
        '-c',
        'mkdir -p /www && echo hello-from-pod > /www/index.html && echo started; echo oops >&2; exec httpd -f -p 8080 -h /www',
      ]),
    );
    const web = await env.ok(['create', pod, webFile, podFile]);
    await env.ok(['start', web]);
    const fetchFile = await env.file(
      'ctr-fetch.json',
      ctrConfig('client', [
        'sh',
        '-c',
        'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://127.0.0.1:8080/ && break; sleep 0.5; done; sleep 3600',
      ]),
    );
    const client = await env.ok(['create', pod, fetchFile, podFile]);
    await env.ok(['start', client]);
    await until(
      async () => (await env.crictl(['logs', client])).stdout.includes('hello-from-pod'),
      30_000,
      200,
    );
    // The log file itself is in the CRI format.
    const logFile = path.join(env.d.dir, 'logs', 'web', 'server.log');
    const text = await fs.readFile(logFile, 'utf8');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F started$/m);
    expect(text).toMatch(/^\S+ stderr F oops$/m);
    // hostPort answered on 127.0.0.1 (portmap's DNAT).
    expect(await get(hostPort)).toContain('hello-from-pod');
    const ps = await env.ok(['ps', '-q', '--pod', pod]);
    expect(ps.split('\n').sort()).toEqual([web, client].sort());
    const ins = JSON.parse(await env.ok(['inspect', web])) as { status: { state: string; logPath: string } };
    expect(ins.status.state).toBe('CONTAINER_RUNNING');
    expect(ins.status.logPath).toBe(logFile);
    // exec -s: hostname, DNS config
    expect(await env.ok(['exec', '-s', web, 'hostname'])).toBe('web');
    const resolv = await env.ok(['exec', '-s', web, 'cat', '/etc/resolv.conf']);
    expect(resolv).toContain('nameserver 127.0.0.1');
    expect(resolv).toContain('search example.test');
    expect(await env.ok(['exec', '-s', web, 'cat', '/etc/hosts'])).toContain(
      `${insp.status.network.ip}\tweb`,
    );
    const failing = await env.crictl(['exec', '-s', web, 'sh', '-c', 'exit 3']);
    expect(failing.code).not.toBe(0);
    expect(failing.stderr).toContain('exited with 3');
    const slow = await env.crictl(['exec', '-s', '--timeout', '1', web, 'sleep', '30']);
    expect(slow.code).not.toBe(0);
    expect(slow.stderr).toMatch(/timed out|DeadlineExceeded/);

    // stats: the running containers with their CPU and memory.
    const stats = JSON.parse(await env.ok(['stats', '-o', 'json', '--pod', pod])) as {
      stats: Array<{ attributes: { id: string }; memory: { workingSetBytes: { value: string } } }>;
    };
    expect(stats.stats.map((s) => s.attributes.id).sort()).toEqual([web, client].sort());
    expect(Number(stats.stats[0].memory.workingSetBytes.value)).toBeGreaterThan(0);
    const podStats = await env.ok(['statsp', pod]);
    expect(podStats).toContain('web');

    await env.ok(['stop', '--timeout', '2', client]);
    const stopped = JSON.parse(await env.ok(['inspect', client])) as {
      status: { state: string; exitCode: number };
    };
    expect(stopped.status.state).toBe('CONTAINER_EXITED');
    await env.ok(['rm', client]);
    await env.ok(['stopp', pod]);
    expect((JSON.parse(await env.ok(['inspectp', pod])) as { status: { state: string } }).status.state).toBe(
      'SANDBOX_NOTREADY',
    );
    await env.ok(['rmp', pod]);
    expect(await env.ok(['pods', '-q'])).not.toContain(pod);
    expect(await env.ok(['ps', '-a', '-q'])).not.toContain(web);
  }, 180_000);

  it('applies run_as_user, readonly rootfs and seccomp RuntimeDefault (unshare refused)', async () => {
    const podFile = await env.file('pod-sec.json', podConfig('sec'));
    const pod = await env.ok(['runp', podFile]);
    const cfg = await env.file(
      'ctr-sec.json',
      ctrConfig('sec', ['sleep', '3600'], {
        linux: {
          security_context: {
            run_as_user: { value: 1234 },
            readonly_rootfs: true,
            seccomp: { profile_type: 0 },
          },
        },
      }),
    );
    const c = await env.ok(['create', pod, cfg, podFile]);
    await env.ok(['start', c]);
    expect(await env.ok(['exec', '-s', c, 'id', '-u'])).toBe('1234');
    const w = await env.crictl(['exec', '-s', c, 'touch', '/x']);
    expect(w.code).not.toBe(0);
    expect(w.stderr + w.stdout).toMatch(/Read-only file system/);
    const cfg2 = await env.file(
      'ctr-sec2.json',
      ctrConfig('sec2', ['sleep', '3600'], {
        linux: {
          security_context: {
            seccomp: { profile_type: 0 },
          },
        },
      }),
    );
    const c2 = await env.ok(['create', pod, cfg2, podFile]);
    await env.ok(['start', c2]);
    const un = await env.crictl(['exec', '-s', c2, 'unshare', '-U', 'true']);
    expect(un.code).not.toBe(0);
    expect(un.stderr + un.stdout).toMatch(/Operation not permitted/);
    const cfg3 = await env.file(
      'ctr-sec3.json',
      ctrConfig('sec3', ['sleep', '3600'], {
        linux: {
          security_context: {
            seccomp: { profile_type: 1 },
          },
        },
      }),
    );
    const c3 = await env.ok(['create', pod, cfg3, podFile]);
    await env.ok(['start', c3]);
    const un3 = await env.crictl(['exec', '-s', c3, 'unshare', '-U', 'true']);
    expect(un3.code).toBe(0);
    await env.ok(['stopp', pod]);
    await env.ok(['rmp', pod]);
  }, 180_000);

  it('applies namespaced sysctls, dropped/added capabilities, privileged, supplemental groups, masked paths', async () => {
    const podFile = await env.file(
      'pod-caps.json',
      podConfig('caps', { linux: { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' } } }),
    );
    const pod = await env.ok(['runp', podFile]);
    const mk = async (name: string, sc: Record<string, unknown>) => {
      const f = await env.file(
        `ctr-${name}.json`,
        ctrConfig(name, ['sleep', '3600'], { linux: { security_context: sc } }),
      );
      const c = await env.ok(['create', pod, f, podFile]);
      await env.ok(['start', c]);
      return c;
    };
    const plain = await mk('plain', { supplemental_groups: [1234, 5678] });
    expect(await env.ok(['exec', '-s', plain, 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'])).toBe(
      '80',
    );
    expect((await env.ok(['exec', '-s', plain, 'id', '-G'])).split(' ')).toEqual(
      expect.arrayContaining(['1234', '5678']),
    );
    expect(await env.ok(['exec', '-s', plain, 'cat', '/proc/version'])).not.toBe('');
    const masked = await mk('masked', { masked_paths: ['/proc/version'], readonly_paths: ['/tmp'] });
    expect(await env.ok(['exec', '-s', masked, 'cat', '/proc/version'])).toBe('');
    expect((await env.crictl(['exec', '-s', masked, 'touch', '/tmp/x'])).code).not.toBe(0);
    const mountCmd = ['sh', '-c', 'mkdir -p /tmp/m && mount -t tmpfs t /tmp/m'];
    const mount = await env.crictl(['exec', '-s', plain, ...mountCmd]);
    expect(mount.code).not.toBe(0);
    expect(mount.stderr).toMatch(/permission denied|not permitted/i);
    const dropped = await mk('dropped', { capabilities: { drop_capabilities: ['CHOWN'] } });
    const chown = await env.crictl(['exec', '-s', dropped, 'chown', '1:1', '/tmp']);
    expect(chown.code).not.toBe(0);
    expect(chown.stderr + chown.stdout).toMatch(/Operation not permitted/);
    const added = await mk('added', { capabilities: { add_capabilities: ['NET_ADMIN'] } });
    expect((await env.crictl(['exec', '-s', added, 'ip', 'link', 'set', 'lo', 'mtu', '1500'])).code).toBe(0);
    const priv = await mk('priv', { privileged: true });
    const pm = await env.crictl(['exec', '-s', priv, ...mountCmd]);
    expect(pm.code, pm.stderr).toBe(0);
    const bad = await env.file(
      'ctr-badcap.json',
      ctrConfig('badcap', ['true'], {
        linux: { security_context: { capabilities: { add_capabilities: ['NOT_A_CAP'] } } },
      }),
    );
    const r = await env.crictl(['create', pod, bad, podFile]);
    expect(r.stderr).toMatch(/InvalidArgument.*unknown capability/);
    await env.ok(['rmp', '-f', pod]);
  }, 120_000);

  it('applies resources at create and UpdateContainerResources (crictl update) on the running container', async () => {
    const podFile = await env.file('pod-res.json', podConfig('res'));
    const pod = await env.ok(['runp', podFile]);
    const cfg = await env.file(
      'ctr-res.json',
      ctrConfig('res', ['sleep', '3600'], {
        linux: { resources: { memory_limit_in_bytes: 64 * 1024 * 1024, cpu_shares: 512 } },
      }),
    );
    const c = await env.ok(['create', pod, cfg, podFile]);
    await env.ok(['start', c]);
    const unified = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const memFile = unified
      ? `/sys/fs/cgroup/k8s.io/${c}/memory.max`
      : `/sys/fs/cgroup/memory/k8s.io/${c}/memory.limit_in_bytes`;
    expect((await fs.readFile(memFile, 'utf8')).trim()).toBe(String(64 * 1024 * 1024));
    await env.ok(['update', '--memory', String(96 * 1024 * 1024), c]);
    expect((await fs.readFile(memFile, 'utf8')).trim()).toBe(String(96 * 1024 * 1024));
    await env.ok(['rmp', '-f', pod]);
  }, 120_000);

  it('host network pods use the host hostname and no pod IP; containers share the pod PID namespace', async () => {
    const hostFile = await env.file(
      'pod-host.json',
      podConfig('hostnet', { linux: { security_context: { namespace_options: { network: 2 } } } }),
    );
    const pod = await env.ok(['runp', hostFile]);
    const st = JSON.parse(await env.ok(['inspectp', pod])) as { status: { network: { ip: string } } };
    expect(st.status.network.ip).toBe('');
    const cfg = await env.file('ctr-host.json', ctrConfig('h', ['sleep', '3600']));
    const c = await env.ok(['create', pod, cfg, hostFile]);
    await env.ok(['start', c]);
    expect(await env.ok(['exec', '-s', c, 'hostname'])).toBe(os.hostname());
    // PID 1 of the container's PID namespace is the pause process (crictl's default: POD).
    expect(await env.ok(['exec', '-s', c, 'cat', '/proc/1/cmdline'])).toContain('2147483647');
    await env.ok(['rmp', '-f', pod]);
  }, 120_000);

  it('bad input: unknown ids NotFound, invalid configs InvalidArgument, hostile log paths refused', async () => {
    const nf = await env.crictl(['inspect', 'ffffffffffff']);
    expect(nf.code).not.toBe(0);
    expect(nf.stderr).toMatch(/NotFound/);
    const nfp = await env.crictl(['inspectp', 'ffffffffffff']);
    expect(nfp.stderr).toMatch(/NotFound/);
    const bad = await env.file('pod-bad.json', podConfig('bad', { log_directory: 'relative/logs' }));
    const r = await env.crictl(['runp', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/InvalidArgument.*log_directory.*relative\/logs.*must be absolute/);
    const badSysctl = await env.file(
      'pod-bad2.json',
      podConfig('bad2', { linux: { sysctls: { 'kernel.hostname': 'x' } } }),
    );
    const r2 = await env.crictl(['runp', badSysctl]);
    expect(r2.stderr).toMatch(/InvalidArgument.*not namespaced/);
    const podFile = await env.file('pod-log.json', podConfig('logs'));
    const pod = await env.ok(['runp', podFile]);
    const evil = await env.file(
      'ctr-evil.json',
      ctrConfig('evil', ['true'], { log_path: '../../../../etc/evil.log' }),
    );
    const e = await env.crictl(['create', pod, evil, podFile]);
    expect(e.code).not.toBe(0);
    expect(e.stderr).toMatch(/InvalidArgument.*leaves the pod's log_directory/);
    await env.ok(['rmp', '-f', pod]);
  }, 120_000);
});
