import { describe, expect, it } from 'vitest';
import { isKind } from '../../api/errdefs.js';
import {
  allPlatforms,
  anyMatcher,
  defaultMatcher,
  defaultPlatform,
  formatPlatform,
  hostArch,
  normalizePlatform,
  onlyMatcher,
  onlyStrictMatcher,
  orderedMatcher,
  parseCpuVariant,
  parsePlatform,
  platformMatches,
  platformVector,
  selectManifests,
} from './platform.js';

describe('parsePlatform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/amd64/v1', { os: 'linux', architecture: 'amd64' }],
    ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v3' }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }], // containerd keeps v8 when given
    ['linux/arm', { os: 'linux', architecture: 'arm' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/v6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/armhf', { os: 'linux', architecture: 'arm' }],
    ['linux/armel', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/i386', { os: 'linux', architecture: '386' }],
    ['Linux/AMD64', { os: 'linux', architecture: 'amd64' }],
    ['macos/arm64', { os: 'darwin', architecture: 'arm64' }],
    ['windows/amd64', { os: 'windows', architecture: 'amd64' }],
    ['linux/s390x', { os: 'linux', architecture: 's390x' }],
  ])('%s', (spec, want) => {
    expect(parsePlatform(spec)).toEqual(want);
  });

  it('one component: an OS gets this arch, an arch gets this OS', () => {
    expect(parsePlatform('linux')).toMatchObject({ os: 'linux', architecture: hostArch() });
    expect(parsePlatform('arm64')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('armhf')).toEqual({ os: 'linux', architecture: 'arm' });
  });

  it.each(['', 'linux/', 'linux/amd64/v2/x', 'linux/*', 'lin ux/amd64', 'nonsense'])('rejects %j', (spec) => {
    try {
      parsePlatform(spec);
      throw new Error('accepted');
    } catch (err) {
      expect(isKind(err, 'InvalidArgument')).toBe(true);
    }
  });

  it('formats', () => {
    expect(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('linux/arm/v7');
    expect(formatPlatform({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
    expect(formatPlatform({})).toBe('unknown');
  });
});

describe('defaults', () => {
  it('maps node arch names to Go ones', () => {
    const want: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };
    if (want[process.arch]) expect(hostArch()).toBe(want[process.arch]);
    expect(defaultPlatform().os).toBe('linux');
    expect(defaultPlatform().architecture).toBe(hostArch());
  });

  it('reads the ARM variant from /proc/cpuinfo text', () => {
    expect(parseCpuVariant('processor\t: 0\nCPU architecture: 8\n', 'arm64')).toBe('v8');
    expect(parseCpuVariant('CPU architecture: 7\nmodel name\t: ARMv7 Processor\n', 'arm')).toBe('v7');
    expect(
      parseCpuVariant('model name\t: ARMv6-compatible processor rev 7 (v6l)\nCPU architecture: 7\n', 'arm'),
    ).toBe('v6');
    expect(parseCpuVariant('CPU architecture: 5TEJ\n', 'arm')).toBe('v5');
    expect(parseCpuVariant('no such field\n', 'arm')).toBe('');
  });

  it('the default matcher takes this machine and rejects another', () => {
    const m = defaultMatcher();
    expect(m.match({ os: 'linux', architecture: hostArch() })).toBe(true);
    expect(m.match({ os: 'windows', architecture: hostArch() })).toBe(false);
    expect(m.match({ os: 'linux', architecture: 'riscv64' })).toBe(hostArch() === 'riscv64');
  });
});

describe('matchers', () => {
  const amd64 = { os: 'linux', architecture: 'amd64' };
  const i386 = { os: 'linux', architecture: '386' };
  const arm64 = { os: 'linux', architecture: 'arm64' };
  const armv7 = { os: 'linux', architecture: 'arm', variant: 'v7' };
  const armv6 = { os: 'linux', architecture: 'arm', variant: 'v6' };
  const armv8 = { os: 'linux', architecture: 'arm', variant: 'v8' };

  it('normalises before comparing', () => {
    expect(platformMatches({ os: 'linux', architecture: 'x86_64' }, amd64)).toBe(true);
    expect(platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, arm64)).toBe(true);
    expect(platformMatches({ os: 'linux', architecture: 'arm' }, armv7)).toBe(true);
    expect(platformMatches(armv6, armv7)).toBe(false);
    expect(normalizePlatform({ os: 'linux', architecture: 'aarch64', variant: '8' })).toEqual(arm64);
  });

  it('platformVector lists what a host can also run', () => {
    expect(platformVector({ os: 'linux', architecture: 'amd64', variant: 'v3' }).map(formatPlatform)).toEqual(
      ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64/v1', 'linux/386'],
    );
    expect(platformVector(arm64).map(formatPlatform)).toEqual([
      'linux/arm64',
      'linux/arm/v8',
      'linux/arm/v7',
      'linux/arm/v6',
      'linux/arm/v5',
    ]);
    expect(platformVector(armv7).map(formatPlatform)).toEqual([
      'linux/arm/v7',
      'linux/arm/v6',
      'linux/arm/v5',
    ]);
  });

  it('only(amd64) also takes 386, preferring amd64', () => {
    const m = onlyMatcher(amd64);
    expect(m.match(amd64)).toBe(true);
    expect(m.match(i386)).toBe(true);
    expect(m.match(arm64)).toBe(false);
    expect(m.less(amd64, i386)).toBe(true);
    expect(m.less(i386, amd64)).toBe(false);
    expect(m.less(i386, arm64)).toBe(true);
    expect(m.less(arm64, arm64)).toBe(false);
  });

  it('only(arm64) takes 32-bit arm, arm64 first then newer arm variants', () => {
    const m = onlyMatcher(arm64);
    expect(m.match(armv7)).toBe(true);
    expect(m.match(amd64)).toBe(false);
    expect(m.less(arm64, armv8)).toBe(true);
    expect(m.less(armv8, armv7)).toBe(true);
    expect(m.less(armv7, armv6)).toBe(true);
    expect(m.less(armv6, armv7)).toBe(false);
  });

  it('onlyStrict, ordered, any, all', () => {
    expect(onlyStrictMatcher(amd64).match(i386)).toBe(false);
    const o = orderedMatcher(arm64, amd64);
    expect(o.less(arm64, amd64)).toBe(true);
    expect(o.less(amd64, arm64)).toBe(false);
    const a = anyMatcher(arm64, amd64);
    expect(a.less(arm64, amd64)).toBe(false);
    expect(a.less(amd64, arm64)).toBe(false);
    expect(a.less(amd64, armv7)).toBe(true);
    expect(allPlatforms.match(armv6)).toBe(true);
  });
});

describe('selectManifests', () => {
  const m = (digest: string, platform?: { os: string; architecture: string; variant?: string }) => ({
    digest,
    ...(platform ? { platform } : {}),
  });
  const index = [
    m('s390x', { os: 'linux', architecture: 's390x' }),
    m('386', { os: 'linux', architecture: '386' }),
    m('none'),
    m('amd64', { os: 'linux', architecture: 'amd64' }),
    m('arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    m('armv7', { os: 'linux', architecture: 'arm', variant: 'v7' }),
    m('win', { os: 'windows', architecture: 'amd64' }),
  ];

  it('picks the best match for the platform', () => {
    expect(selectManifests(index, onlyMatcher({ os: 'linux', architecture: 'amd64' }))[0].digest).toBe(
      'amd64',
    );
    expect(selectManifests(index, onlyMatcher({ os: 'linux', architecture: 'arm64' }))[0].digest).toBe(
      'arm64',
    );
    expect(
      selectManifests(index, onlyMatcher({ os: 'linux', architecture: 'arm', variant: 'v7' }))[0].digest,
    ).toBe('armv7');
    expect(selectManifests(index, onlyMatcher({ os: 'windows', architecture: 'amd64' }))[0].digest).toBe(
      'win',
    );
  });

  it('orders all matches, entries without platform last, and limits', () => {
    const all = selectManifests(index, onlyMatcher({ os: 'linux', architecture: 'amd64' }), 0);
    expect(all.map((d) => d.digest)).toEqual(['amd64', '386', 'none']);
    expect(
      selectManifests(index, onlyMatcher({ os: 'linux', architecture: 'arm64' }), 2).map((d) => d.digest),
    ).toEqual(['arm64', 'armv7']);
  });

  it('falls back to 386 on amd64, and NotFound when nothing matches', () => {
    const only386 = [m('386', { os: 'linux', architecture: '386' })];
    expect(selectManifests(only386, onlyMatcher({ os: 'linux', architecture: 'amd64' }))[0].digest).toBe(
      '386',
    );
    try {
      selectManifests(only386, onlyMatcher({ os: 'linux', architecture: 'arm64' }));
      throw new Error('matched');
    } catch (err) {
      expect(isKind(err, 'NotFound')).toBe(true);
    }
  });
});
