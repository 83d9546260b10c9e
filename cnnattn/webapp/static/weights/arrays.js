// The payload's arrays: base64 of little-endian float32, decoded once and kept on the object that sent them.
// Python twin: cnnattn/payload.py _array and decode_array.

export function decodeBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function decodeArray(text) {
  return new Float32Array(decodeBytes(text).buffer);  // little-endian float32, as the payload writes it
}

// owner[name] decoded, kept in owner._arrays (a payload entry, or a head of the lesson block; tests read it).
export function arrayOf(owner, name) {
  const arrays = owner._arrays || (owner._arrays = {});
  return arrays[name] || (arrays[name] = decodeArray(owner[name]));
}
