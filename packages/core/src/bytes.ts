/** Typed arrays as base64 text, so that binary state fits in a JSON checkpoint. Browser-safe. */

/** Little-endian bytes of `bytes`, base64. */
export function encodeBase64(bytes: Uint8Array): string {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

/** The bytes of a base64 string, in a fresh buffer (4-byte aligned, so typed views of it work). */
export function decodeBase64(b64: string): Uint8Array {
  if (typeof Buffer !== 'undefined') {
    const buf = Buffer.from(b64, 'base64');
    const out = new Uint8Array(buf.length);
    out.set(buf);
    return out;
  }
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A Float32Array as base64 of its bytes. */
export function float32ToBase64(values: Float32Array): string {
  return encodeBase64(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

/** The inverse of float32ToBase64; throws naming `what` when the byte count is not a multiple of 4. */
export function base64ToFloat32(b64: string, what = 'data'): Float32Array {
  const bytes = decodeBase64(b64);
  if (bytes.byteLength % 4 !== 0) throw new RangeError(`${what}: ${bytes.byteLength} bytes is not a whole number of float32 values`);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}
