// containerd's filter language (services/filters): parse any string, then match the result against
// a few objects. Refusals are InvalidArgument; matching never throws.
import { adapt, labelsField, parseFilters } from '../../../services/filters/index.js';
import type { FuzzTarget } from '../engine.js';
import { typedRefusal } from './expect.js';

const objects = [
  adapt({
    name: 'docker.io/library/busybox:latest',
    labels: (p) => labelsField({ a: 'b', 'x.y': 'z', '': 'e' }, p),
  }),
  adapt({
    id: 'c1',
    image: '',
    runtime: { name: 'io.containerd.runc.v2' },
    labels: (p) => labelsField({}, p),
  }),
  adapt({ topic: '/tasks/exit', namespace: 'default', event: (p) => (p[0] === 'id' ? 'c1' : undefined) }),
];

export function filterTarget(): FuzzTarget {
  return {
    name: 'filter',
    maxLen: 512,
    dict: [
      '==',
      '!=',
      '~=',
      ',',
      '.',
      '"',
      '\\"',
      '/',
      '|',
      'labels',
      'name',
      'topic',
      '[a-z]+',
      '(?i)',
      '\\x',
      '\\u00e9',
      '\\p{L}',
      '{2,3}',
      '*',
      '^$',
      '(?P<n>x)',
      '\\Q',
      '[[:alpha:]]',
      '\\b',
    ],
    expected: typedRefusal,
    run(data) {
      const list = data.toString('utf8').split('\n');
      const f = parseFilters(list);
      for (const o of objects) f.match(o);
    },
  };
}
