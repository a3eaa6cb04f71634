/**
 * The zip bomb guard (GW-5006): what a ZIP declares is judged before anything is inflated, and
 * what it actually inflates to is counted as it comes, since a header can lie. Each refusal names
 * the entry, the value and the limit with its setting, so an operator can tell a bomb from a
 * limit set too low.
 */
import type { ZipLimits } from './model';
import { ZipReadError, type ZipEntry } from './zip';

const n = (x: number): string => x.toLocaleString('en-US');

/** The entry count of the end of central directory record, before the directory is read. */
export function checkEntryCount(count: number, limits: ZipLimits): string | undefined {
  return count > limits.maxEntries ? `${n(count)} entries, more than the limit of ${n(limits.maxEntries)} (SMEV2_ZIP_MAX_ENTRIES)` : undefined;
}

/** Names, ratios and the declared total of the central directory; the first refusal, if any. */
export function checkDeclared(entries: ZipEntry[], limits: ZipLimits): string | undefined {
  let total = 0;
  for (const e of entries) {
    const escape = escapingName(e.name);
    if (escape) return `entry "${e.name}" ${escape}`;
    const ratio = ratioOf(e.uncompressedSize, e.compressedSize);
    if (ratio > limits.maxRatio) {
      return `entry "${e.name}" declares ${n(e.uncompressedSize)} bytes from ${n(e.compressedSize)} compressed, a ratio of ${ratioText(ratio)}, more than the limit of ${n(limits.maxRatio)} (SMEV2_ZIP_MAX_RATIO)`;
    }
    total += e.uncompressedSize;
    if (total > limits.maxBytes) {
      return `its entries declare more than ${n(limits.maxBytes)} bytes uncompressed together (${n(total)} by entry "${e.name}"), the limit (SMEV2_ZIP_MAX_BYTES)`;
    }
  }
  return undefined;
}

/**
 * Why a name would be written outside the folder it is extracted to, if it would: an absolute
 * path, a drive letter, or a `..` segment, with `\` read as a separator as Windows tools do.
 */
export function escapingName(name: string): string | undefined {
  const path = name.replace(/\\/g, '/');
  if (path.startsWith('/')) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(path)) return 'is an absolute path (a drive letter)';
  if (path.split('/').includes('..')) return `climbs out of the archive (a ".." segment${name.includes('\\') ? ', with backslashes' : ''})`;
  return undefined;
}

function ratioOf(uncompressed: number, compressed: number): number {
  if (uncompressed === 0) return 0;
  return compressed === 0 ? Infinity : uncompressed / compressed;
}

const ratioText = (r: number): string => (Number.isFinite(r) ? r.toLocaleString('en-US', { maximumFractionDigits: 1 }) : 'infinity (nothing compressed)');

/**
 * Counts the bytes entries actually inflate to, against their declared sizes, the ratio and the
 * total. yauzl already refuses more bytes than declared; this holds the limits on its own too.
 */
export class InflateMeter {
  private total = 0;

  constructor(private readonly limits: ZipLimits) {}

  /** A chunk callback for one entry (zip.ts OpenedZip.stream); throws a `bomb` ZipReadError. */
  counter(entry: ZipEntry): (chunk: Buffer) => void {
    let bytes = 0;
    return (chunk) => {
      bytes += chunk.length;
      this.total += chunk.length;
      if (bytes > entry.uncompressedSize) {
        throw new ZipReadError(`entry "${entry.name}" inflates to more than the ${n(entry.uncompressedSize)} bytes its header declares (${n(bytes)} so far): a lying header`, 'bomb');
      }
      const ratio = ratioOf(bytes, entry.compressedSize);
      if (ratio > this.limits.maxRatio) {
        throw new ZipReadError(`entry "${entry.name}" inflates ${n(entry.compressedSize)} compressed bytes to ${n(bytes)} so far, a ratio of ${ratioText(ratio)}, more than the limit of ${n(this.limits.maxRatio)} (SMEV2_ZIP_MAX_RATIO)`, 'bomb');
      }
      if (this.total > this.limits.maxBytes) {
        throw new ZipReadError(`its entries inflate to more than ${n(this.limits.maxBytes)} bytes together (at entry "${entry.name}"), the limit (SMEV2_ZIP_MAX_BYTES)`, 'bomb');
      }
    };
  }
}
