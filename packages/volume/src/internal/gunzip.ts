import { gunzipSync } from 'fflate';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, the gzip trailer's checksum) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Decompresses a (single-member) gzip stream in JavaScript, browser-safe, and checks what fflate does not:
 * the trailer's CRC-32 and length. Errors use zlib's wording (`unexpected end of file`, `incorrect data
 * check`, `incorrect length check`) so messages are the same with or without Node's zlib.
 */
export function gunzipChecked(bytes: Uint8Array): Uint8Array {
  // 10-byte header + 8-byte trailer at the least: anything shorter was cut off.
  if (bytes.length < 18) throw new Error('unexpected end of file');
  let out: Uint8Array;
  try {
    out = gunzipSync(bytes);
  } catch (e) {
    const code = (e as { code?: number }).code;
    throw new Error(code === 0 ? 'unexpected end of file' : (e as Error).message);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crc = dv.getUint32(bytes.length - 8, true);
  const size = dv.getUint32(bytes.length - 4, true);
  if (crc32(out) !== crc) throw new Error('incorrect data check');
  if (size !== out.length % 2 ** 32) throw new Error('incorrect length check');
  return out;
}
