// libsodium (audited, prebuilt binaries in the npm package) for the server's X25519, AEAD and randomness.
import sodium from 'sodium-native';

export { sodium };

/** sodium-native takes any Uint8Array (it reads the typed array's bytes); its typings say Buffer. */
export const sodiumBytes = (b: Uint8Array): Buffer => b as Buffer;

/** Fills `out` with random bytes from libsodium's CSPRNG; returns it. */
export function randomInto<T extends Uint8Array>(out: T): T {
  sodium.randombytes_buf(sodiumBytes(out));
  return out;
}
