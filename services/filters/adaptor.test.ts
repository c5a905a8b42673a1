import { describe, it, expect } from 'vitest';
import { adapt, labelsField, parseFilter, present, type Adaptor } from './index.js';

describe('labelsField', () => {
  const labels = { 'a.b': '1', a: '2', '': '3' };
  it('joins the rest of the path with "."', () => {
    expect(labelsField(labels, ['a', 'b'])).toBe('1');
    expect(labelsField(labels, ['a.b'])).toBe('1');
    expect(labelsField(labels, ['a'])).toBe('2');
    expect(labelsField(labels, [])).toBe('3');
    expect(labelsField(labels, ['c'])).toBeUndefined();
  });
  it('has no keys in a missing map, and none inherited from Object', () => {
    expect(labelsField(undefined, ['a'])).toBeUndefined();
    expect(labelsField({}, ['constructor'])).toBeUndefined();
    expect(labelsField({}, ['__proto__'])).toBeUndefined();
  });
});

describe('adapt', () => {
  // containerd's image adaptor fields.
  const image: Adaptor = adapt(
    { name: 'docker.io/library/busybox:latest', target: { digest: 'sha256:abc', mediatype: '' } },
    { labels: { 'containerd.io/gc.ref': 'x' }, annotations: undefined },
  );

  it('reads plain and nested fields', () => {
    expect(image(['name'])).toBe('docker.io/library/busybox:latest');
    expect(image(['target', 'digest'])).toBe('sha256:abc');
  });

  it('treats an empty string as absent, unless marked present()', () => {
    expect(image(['target', 'mediatype'])).toBeUndefined();
    const snap = adapt({ kind: 'active', parent: present('') });
    expect(snap(['parent'])).toBe('');
    expect(parseFilter('parent').match(snap)).toBe(true);
    expect(parseFilter('parent==""').match(snap)).toBe(true);
  });

  it('needs the next segment for a nested field and ignores extra ones after a string', () => {
    expect(image(['target'])).toBeUndefined();
    expect(image(['name', 'x'])).toBe('docker.io/library/busybox:latest');
    expect(image(['target', 'digest', 'x'])).toBe('sha256:abc');
  });

  it('reads map fields with the rest of the path', () => {
    expect(image(['labels', 'containerd', 'io/gc', 'ref'])).toBe('x');
    expect(image(['annotations', 'a'])).toBeUndefined();
    expect(parseFilter('labels."containerd.io/gc.ref"==x').match(image)).toBe(true);
  });

  it('does not treat a quoted dotted path as nested fields', () => {
    expect(parseFilter('"target.digest"').match(image)).toBe(false);
    expect(parseFilter('target.digest').match(image)).toBe(true);
  });

  it('delegates to a nested adaptor', () => {
    const envelope = adapt({
      topic: '/tasks/exit',
      event: (rest) => adapt({ container_id: 'c1', id: 'c1' })(rest),
    });
    expect(parseFilter('topic~="^/tasks/",event.container_id==c1').match(envelope)).toBe(true);
    expect(parseFilter('event').match(envelope)).toBe(false);
  });

  it('never reads inherited properties', () => {
    expect(image(['toString'])).toBeUndefined();
    expect(image(['labels'])).toBeUndefined();
    expect(image([])).toBeUndefined();
  });
});
