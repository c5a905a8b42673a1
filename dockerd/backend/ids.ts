// Container ids and names the way Docker makes and checks them.
import { randomBytes } from 'node:crypto';
import { InvalidParameter } from '../errdefs/index.js';

export function newId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    // Docker never hands out an id that reads as a number (it would be mistaken for a short id).
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}

const NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Checks a user-given name and returns it with its leading slash, as Docker stores names. */
export function validName(name: string): string {
  if (!NAME.test(name)) {
    throw new InvalidParameter(
      `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  return name.startsWith('/') ? name : `/${name}`;
}

const LEFT = [
  'admiring',
  'agitated',
  'amazing',
  'awesome',
  'bold',
  'brave',
  'busy',
  'clever',
  'cool',
  'dazzling',
  'eager',
  'ecstatic',
  'elegant',
  'festive',
  'focused',
  'friendly',
  'gallant',
  'gifted',
  'happy',
  'hopeful',
  'jolly',
  'keen',
  'kind',
  'loving',
  'lucid',
  'modest',
  'nifty',
  'nostalgic',
  'optimistic',
  'peaceful',
  'practical',
  'quirky',
  'relaxed',
  'serene',
  'sharp',
  'stoic',
  'tender',
  'trusting',
  'vibrant',
  'zealous',
];
const RIGHT = [
  'albattani',
  'babbage',
  'bell',
  'curie',
  'darwin',
  'dijkstra',
  'einstein',
  'euler',
  'faraday',
  'fermi',
  'feynman',
  'galileo',
  'goldberg',
  'hamilton',
  'hopper',
  'hypatia',
  'kepler',
  'knuth',
  'lamarr',
  'lovelace',
  'mayer',
  'meitner',
  'newton',
  'noether',
  'pascal',
  'ritchie',
  'shannon',
  'tesla',
  'thompson',
  'torvalds',
  'turing',
  'wiles',
  'wozniak',
  'yalow',
];

export function randomName(taken: (name: string) => boolean): string {
  for (let i = 0; ; i++) {
    const pick = (l: string[]) => l[randomBytes(2).readUInt16BE(0) % l.length];
    const base = `${pick(LEFT)}_${pick(RIGHT)}`;
    const name = `/${i < 10 ? base : `${base}${i}`}`;
    if (!taken(name)) return name;
  }
}
