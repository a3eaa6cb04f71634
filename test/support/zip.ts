import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * A ZIP of one stored (uncompressed) entry, `document.bin`, of `size` random bytes: what the
 * attachments stage opens and judges, made without a ZIP library so that its size is exact.
 */
export function storedZip(size: number): Buffer {
  const data = randomBytes(size);
  const name = Buffer.from('document.bin');
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14); local.writeUInt32LE(size, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16); central.writeUInt32LE(size, 20); central.writeUInt32LE(size, 24); central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12); end.writeUInt32LE(local.length + name.length + size, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}
