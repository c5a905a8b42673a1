// SHA-256 of a short string in plain JS. The shim hashes one string (its socket name); loading
// node:crypto for it cost every shim ~380 KiB of private memory.

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

function primes(n: number): number[] {
  const out: number[] = [];
  for (let c = 2; out.length < n; c++) if (out.every((p) => c % p !== 0)) out.push(c);
  return out;
}

/** First 32 bits of the fractional part of x (x > 0). */
const frac32 = (x: number): number => Math.floor((x - Math.floor(x)) * 2 ** 32) >>> 0;

const P = primes(64);
/** Round constants: cube roots of the first 64 primes; initial state: square roots of the first 8. */
const K = Uint32Array.from(P, (p) => frac32(Math.cbrt(p)));
const H0 = Uint32Array.from(P.slice(0, 8), (p) => frac32(Math.sqrt(p)));

export function sha256Hex(text: string): string {
  const msg = Buffer.from(text, 'utf8');
  const blocks = Math.ceil((msg.length + 9) / 64);
  const buf = Buffer.alloc(blocks * 64);
  msg.copy(buf);
  buf[msg.length] = 0x80;
  const bits = msg.length * 8;
  buf.writeUInt32BE(Math.floor(bits / 2 ** 32), buf.length - 8);
  buf.writeUInt32BE(bits >>> 0, buf.length - 4);
  const h = Uint32Array.from(H0);
  const w = new Uint32Array(64);
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < 16; i++) w[i] = buf.readUInt32BE(b * 64 + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    let [a, bb, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += bb;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  return Array.from(h, (x) => x.toString(16).padStart(8, '0')).join('');
}
