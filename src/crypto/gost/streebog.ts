/**
 * GOST R 34.11-2012 "Streebog" hash, 256- and 512-bit (RFC 6986).
 *
 * Table-driven: S (the Pi substitution), P (byte transposition) and L (the linear map A) are
 * folded into eight 256-entry tables of 64-bit values, kept as 32-bit halves in Uint32Arrays
 * (no BigInt anywhere). The 512-bit state is sixteen 32-bit little-endian words: word 2i is the
 * low half and word 2i+1 the high half of the 64-bit lane i, and byte k of the state (the
 * standard's a_k, a_0 least significant) is byte k of the little-endian byte string. Message
 * bytes are read in order, so the output is the byte string every implementation prints
 * (OpenSSL's `md_gost12_256`, crypto-gost-js, the RFC's vectors read right to left).
 */

/** Pi, the byte substitution of RFC 6986 §6.2 (shared with Kuznyechik). */
const PI = Uint8Array.from(
  Buffer.from(
    (
    'fcee dd11 cf6e 3116 fbc4 fada 23c5 044d e977 f0db 932e 99ba 1736 f1bb 14cd 5fc1' +
      'f918 655a e25c ef21 811c 3c42 8b01 8e4f 0584 02ae e36a 8fa0 060b ed98 7fd4 d31f' +
      'eb34 2c51 eac8 48ab f22a 68a2 fd3a cecc b570 0e56 080c 7612 bf72 1347 9cb7 5d87' +
      '15a1 9629 107b 9ac7 f391 786f 9d9e b2b1 3275 193d ff35 8a7e 6d54 c680 c3bd 0d57' +
      'dff5 24a9 3ea8 43c9 d779 d6f6 7c22 b903 e00f ecde 7a94 b0bc dce8 2850 4e33 0a4a' +
      'a797 6073 1e00 6244 1ab8 3882 649f 2641 ad45 4692 275e 552f 8ca3 a57d 69d5 953b' +
      '0758 b340 86ac 1df7 3037 6be4 88d9 e789 e11b 8349 4c3f f8fe 8d53 aa90 cad8 8561' +
      '2071 67a4 2d2b 095b cb9b 25d0 bee5 6c52 59a6 74d2 e6f4 b4c0 d166 afc2 394b 63b6'
    ).replace(/ /g, ''),
    'hex',
  ),
);

/**
 * The 64 rows of the linear map l (RFC 6986 §6.4): row i is XORed in when bit 63-i of the
 * 64-bit lane is set (row 0 belongs to the most significant bit).
 */
const A_ROWS = (
  '8e20faa72ba0b470 47107ddd9b505a38 ad08b0e0c3282d1c d8045870ef14980e 6c022c38f90a4c07 3601161cf205268d 1b8e0b0e798c13c8 83478b07b2468764 ' +
  'a011d380818e8f40 5086e740ce47c920 2843fd2067adea10 14aff010bdd87508 0ad97808d06cb404 05e23c0468365a02 8c711e02341b2d01 46b60f011a83988e ' +
  '90dab52a387ae76f 486dd4151c3dfdb9 24b86a840e90f0d2 125c354207487869 092e94218d243cba 8a174a9ec8121e5d 4585254f64090fa0 accc9ca9328a8950 ' +
  '9d4df05d5f661451 c0a878a0a1330aa6 60543c50de970553 302a1e286fc58ca7 18150f14b9ec46dd 0c84890ad27623e0 0642ca05693b9f70 0321658cba93c138 ' +
  '86275df09ce8aaa8 439da0784e745554 afc0503c273aa42a d960281e9d1d5215 e230140fc0802984 71180a8960409a42 b60c05ca30204d21 5b068c651810a89e ' +
  '456c34887a3805b9 ac361a443d1c8cd2 561b0d22900e4669 2b838811480723ba 9bcf4486248d9f5d c3e9224312c8c1a0 effa11af0964ee50 f97d86d98a327728 ' +
  'e4fa2054a80b329c 727d102a548b194e 39b008152acb8227 9258048415eb419d 492c024284fbaec0 aa16012142f35760 550b8e9e21f7a530 a48b474f9ef5dc18 ' +
  '70a6a56e2440598e 3853dc371220a247 1ca76e95091051ad 0edd37c48a08a6d8 07e095624504536c 8d70c431ac02a736 c83862965601dd1b 641c314b2b8ee083'
).split(' ');

/** The twelve round constants C_1..C_12 (RFC 6986 §6.3), each a 512-bit number in hex. */
const C_HEX = [
  'b1085bda1ecadae9ebcb2f81c0657c1f2f6a76432e45d016714eb88d7585c4fc4b7ce09192676901a2422a08a460d31505767436cc744d23dd806559f2a64507',
  '6fa3b58aa99d2f1a4fe39d460f70b5d7f3feea720a232b9861d55e0f16b501319ab5176b12d699585cb561c2db0aa7ca55dda21bd7cbcd56e679047021b19bb7',
  'f574dcac2bce2fc70a39fc286a3d843506f15e5f529c1f8bf2ea7514b1297b7bd3e20fe490359eb1c1c93a376062db09c2b6f443867adb31991e96f50aba0ab2',
  'ef1fdfb3e81566d2f948e1a05d71e4dd488e857e335c3c7d9d721cad685e353fa9d72c82ed03d675d8b71333935203be3453eaa193e837f1220cbebc84e3d12e',
  '4bea6bacad4747999a3f410c6ca923637f151c1f1686104a359e35d7800fffbdbfcd1747253af5a3dfff00b723271a167a56a27ea9ea63f5601758fd7c6cfe57',
  'ae4faeae1d3ad3d96fa4c33b7a3039c02d66c4f95142a46c187f9ab49af08ec6cffaa6b71c9ab7b40af21f66c2bec6b6bf71c57236904f35fa68407a46647d6e',
  'f4c70e16eeaac5ec51ac86febf240954399ec6c7e6bf87c9d3473e33197a93c90992abc52d822c3706476983284a05043517454ca23c4af38886564d3a14d493',
  '9b1f5b424d93c9a703e7aa020c6e41414eb7f8719c36de1e89b4443b4ddbc49af4892bcb929b069069d18d2bd1a5c42f36acc2355951a8d9a47f0dd4bf02e71e',
  '378f5a541631229b944c9ad8ec165fde3a7d3a1b258942243cd955b7e00d0984800a440bdbb2ceb17b2b8a9aa6079c540e38dc92cb1f2a607261445183235adb',
  'abbedea680056f52382ae548b2e4f3f38941e71cff8a78db1fffe18a1b3361039fe76702af69334b7a1e6c303b7652f43698fad1153bb6c374b4c7fb98459ced',
  '7bcd9ed0efc889fb3002c6cd635afe94d8fa6bbbebab076120018021148466798a1d71efea48b9caefbacd1d7d476e98dea2594ac06fd85d6bcaa4cd81f32d1b',
  '378ee767f11631bad21380b00449b17acda43c32bcdf1d77f82012d430219f9b5d80ef9d1891cc86e71da4aa88e12852faf417d5d9b21b9948bc924af11bd720',
];

/** 512-bit number in hex -> sixteen 32-bit little-endian words. */
function words512(hex: string): Uint32Array {
  const w = new Uint32Array(16);
  for (let k = 0; k < 16; k++) w[k] = parseInt(hex.slice(128 - 8 * (k + 1), 128 - 8 * k), 16) >>> 0;
  return w;
}

const C = C_HEX.map(words512);
if (PI.length !== 256 || A_ROWS.length !== 64 || C.length !== 12) throw new Error('Streebog constants are damaged');

// LPS tables: for byte position j (0..7) inside a lane and byte value v, the lane that
// L(Pi(v) << 8j) contributes. TL holds the low 32 bits, TH the high 32 bits; index j*256+v.
const TL = new Uint32Array(8 * 256);
const TH = new Uint32Array(8 * 256);
(() => {
  const rowLo = new Uint32Array(64);
  const rowHi = new Uint32Array(64);
  for (let i = 0; i < 64; i++) {
    const h = A_ROWS[i]!;
    rowHi[i] = parseInt(h.slice(0, 8), 16) >>> 0;
    rowLo[i] = parseInt(h.slice(8), 16) >>> 0;
  }
  for (let j = 0; j < 8; j++) {
    for (let v = 0; v < 256; v++) {
      const x = PI[v]!;
      let lo = 0;
      let hi = 0;
      for (let t = 0; t < 8; t++) {
        if ((x >>> t) & 1) {
          const row = 63 - (8 * j + t); // bit 8j+t of the lane (0 = least significant)
          lo ^= rowLo[row]!;
          hi ^= rowHi[row]!;
        }
      }
      TL[j * 256 + v] = lo >>> 0;
      TH[j * 256 + v] = hi >>> 0;
    }
  }
})();

/** out = LPS(a XOR b). `out` may alias neither a nor b. */
function xlps(a: Uint32Array, b: Uint32Array, out: Uint32Array): void {
  const x0 = a[0]! ^ b[0]!, x1 = a[1]! ^ b[1]!, x2 = a[2]! ^ b[2]!, x3 = a[3]! ^ b[3]!;
  const x4 = a[4]! ^ b[4]!, x5 = a[5]! ^ b[5]!, x6 = a[6]! ^ b[6]!, x7 = a[7]! ^ b[7]!;
  const x8 = a[8]! ^ b[8]!, x9 = a[9]! ^ b[9]!, x10 = a[10]! ^ b[10]!, x11 = a[11]! ^ b[11]!;
  const x12 = a[12]! ^ b[12]!, x13 = a[13]! ^ b[13]!, x14 = a[14]! ^ b[14]!, x15 = a[15]! ^ b[15]!;
  // Output lane i takes byte i of every input lane j: byte 8j+i of the state, which sits in
  // word 2j + (i >> 2) at bit 8*(i & 3).
  for (let i = 0; i < 8; i++) {
    const sh = (i & 3) << 3;
    let w0: number, w1: number, w2: number, w3: number, w4: number, w5: number, w6: number, w7: number;
    if (i < 4) {
      w0 = x0; w1 = x2; w2 = x4; w3 = x6; w4 = x8; w5 = x10; w6 = x12; w7 = x14;
    } else {
      w0 = x1; w1 = x3; w2 = x5; w3 = x7; w4 = x9; w5 = x11; w6 = x13; w7 = x15;
    }
    const b0 = (w0 >>> sh) & 255;
    const b1 = 256 + ((w1 >>> sh) & 255);
    const b2 = 512 + ((w2 >>> sh) & 255);
    const b3 = 768 + ((w3 >>> sh) & 255);
    const b4 = 1024 + ((w4 >>> sh) & 255);
    const b5 = 1280 + ((w5 >>> sh) & 255);
    const b6 = 1536 + ((w6 >>> sh) & 255);
    const b7 = 1792 + ((w7 >>> sh) & 255);
    out[2 * i] = TL[b0]! ^ TL[b1]! ^ TL[b2]! ^ TL[b3]! ^ TL[b4]! ^ TL[b5]! ^ TL[b6]! ^ TL[b7]!;
    out[2 * i + 1] = TH[b0]! ^ TH[b1]! ^ TH[b2]! ^ TH[b3]! ^ TH[b4]! ^ TH[b5]! ^ TH[b6]! ^ TH[b7]!;
  }
}

// Scratch space for the compression function (synchronous, so one set serves every instance).
const K = new Uint32Array(16);
const K2 = new Uint32Array(16);
const T = new Uint32Array(16);
const T2 = new Uint32Array(16);
const ZERO = new Uint32Array(16);

/** h = g_N(h, m) = E(LPS(h ^ N), m) ^ h ^ m. */
function compress(h: Uint32Array, n: Uint32Array, m: Uint32Array): void {
  xlps(h, n, K); // K_1
  xlps(K, m, T); // round 1
  let k = K, k2 = K2, t = T, t2 = T2;
  for (let i = 0; i < 11; i++) {
    xlps(k, C[i]!, k2); // K_{i+2}
    xlps(t, k2, t2); // round i+2
    let s = k; k = k2; k2 = s;
    s = t; t = t2; t2 = s;
  }
  xlps(k, C[11]!, k2); // K_13
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ t[i]! ^ k2[i]! ^ m[i]!;
}

/** x = x + y mod 2^512, both sixteen little-endian 32-bit words. */
function add512(x: Uint32Array, y: Uint32Array): void {
  let carry = 0;
  for (let i = 0; i < 16; i++) {
    const s = x[i]! + y[i]! + carry;
    x[i] = s >>> 0;
    carry = s > 0xffffffff ? 1 : 0;
  }
}

/** x = x + v mod 2^512 for a small non-negative integer v (< 2^32). */
function addSmall512(x: Uint32Array, v: number): void {
  let carry = v;
  for (let i = 0; i < 16 && carry; i++) {
    const s = x[i]! + carry;
    x[i] = s >>> 0;
    carry = s > 0xffffffff ? 1 : 0;
  }
}

function load512(src: Uint8Array, off: number, out: Uint32Array): void {
  for (let k = 0; k < 16; k++, off += 4) {
    out[k] = (src[off]! | (src[off + 1]! << 8) | (src[off + 2]! << 16) | (src[off + 3]! << 24)) >>> 0;
  }
}

/** Incremental Streebog: `new Streebog(256).update(a).update(b).digest()`. */
export class Streebog {
  readonly outputLength: 32 | 64;
  private readonly h = new Uint32Array(16);
  private readonly n = new Uint32Array(16);
  private readonly sigma = new Uint32Array(16);
  private readonly m = new Uint32Array(16);
  private readonly buf = new Uint8Array(64);
  private bufLen = 0;
  private done = false;

  constructor(bits: 256 | 512) {
    if (bits !== 256 && bits !== 512) throw new RangeError('Streebog output must be 256 or 512 bits');
    this.outputLength = bits === 256 ? 32 : 64;
    if (bits === 256) this.h.fill(0x01010101);
  }

  update(data: Uint8Array): this {
    if (this.done) throw new Error('Streebog: update() after digest()');
    let off = 0;
    const len = data.length;
    if (this.bufLen > 0) {
      const take = Math.min(64 - this.bufLen, len);
      this.buf.set(data.subarray(0, take), this.bufLen);
      this.bufLen += take;
      off = take;
      if (this.bufLen < 64) return this;
      this.block(this.buf, 0);
      this.bufLen = 0;
    }
    for (; off + 64 <= len; off += 64) this.block(data, off);
    if (off < len) {
      this.buf.set(data.subarray(off), 0);
      this.bufLen = len - off;
    }
    return this;
  }

  digest(): Uint8Array {
    if (this.done) throw new Error('Streebog: digest() called twice');
    this.done = true;
    // Stage 3: pad the remainder (0..63 bytes) with 0x01 then zeros.
    const r = this.bufLen;
    this.buf.fill(0, r);
    this.buf[r] = 0x01;
    load512(this.buf, 0, this.m);
    compress(this.h, this.n, this.m);
    addSmall512(this.n, r * 8);
    add512(this.sigma, this.m);
    compress(this.h, ZERO, this.n);
    compress(this.h, ZERO, this.sigma);
    const out = new Uint8Array(this.outputLength);
    const first = this.outputLength === 32 ? 8 : 0; // the 256-bit hash is the upper half
    for (let k = first, o = 0; k < 16; k++, o += 4) {
      const w = this.h[k]!;
      out[o] = w & 255;
      out[o + 1] = (w >>> 8) & 255;
      out[o + 2] = (w >>> 16) & 255;
      out[o + 3] = w >>> 24;
    }
    return out;
  }

  private block(src: Uint8Array, off: number): void {
    load512(src, off, this.m);
    compress(this.h, this.n, this.m);
    addSmall512(this.n, 512);
    add512(this.sigma, this.m);
  }
}

export function streebog256(data: Uint8Array): Uint8Array {
  return new Streebog(256).update(data).digest();
}

export function streebog512(data: Uint8Array): Uint8Array {
  return new Streebog(512).update(data).digest();
}
