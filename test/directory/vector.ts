import { hexToBytes, utf8ToBytes } from '../../src/crypto/encoding.js';
import { x25519PrivateFromRaw } from '../../src/crypto/x25519.js';
import { sealEnvelope, type EnvelopeWire } from '../../src/directory/envelope.js';

// The published known-answer vector of the directory envelope (issue 2).
const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i);

export const VECTOR = {
  pepper: range(1, 32),
  pepperHex: Buffer.from(range(1, 32)).toString('hex'),
  kidHex: '0001020304050607',
  serverPrivate: range(0x10, 32),
  serverPrivateHex: Buffer.from(range(0x10, 32)).toString('hex'),
  serverPublicHex: 'd89e3bad79437dbed9f843418304f460ff05c7fe81fe4a9577a804cb9367ff66',
  handleHex: '4e586a7d57683f7ae69c6dbe407c986df78603ca12e9cab26d245df1349f08b5',
  senderPrivate: new Uint8Array(32).fill(9),
  senderPublicHex: '57db4b359f23ae5e146e4e2512056704722506348c150c14753d0c933d04d421',
  nonce: range(0, 24),
  plaintext:
    '{"user_id":"4e586a7d57683f7ae69c6dbe407c986df78603ca12e9cab26d245df1349f08b5","username_hint":"alice","signing_public_key":[1,2,3],"encryption_public_key":[4,5,6],"signature":[7,8,9],"created_at_ms":1}',
  ciphertextPrefix: 'yBvCsN34bTymEqey2k+Mi2ff6vWhsMhVF5jFDXmk',
  ciphertextLength: 217,
};

/** The `[envelope]` config section that makes a test registry the vector's server. */
export const VECTOR_ENVELOPE_CONFIG = {
  pepper_hex: VECTOR.pepperHex,
  keys: [{ kid_hex: VECTOR.kidHex, x25519_private_key_hex: VECTOR.serverPrivateHex, active: true }],
};
/** A registry config with that envelope, PoW on at `difficulty` leading zero bits and no rate limits. */
export const powOn = (difficulty: number) => ({
  envelope: VECTOR_ENVELOPE_CONFIG,
  pow: { enabled: true, difficulty },
  rate_limit: { enabled: false },
});
/** That server's public key, as `GET /envelope_pubkey` gives it: what clients seal to. */
export const VECTOR_SERVER_KEY = { kid_hex: VECTOR.kidHex, x25519_public_key_hex: VECTOR.serverPublicHex };

/** The vector's envelope, sealed exactly as the messenger daemon would send it. */
export function vectorEnvelope(): EnvelopeWire {
  return sealEnvelope({
    pepper: VECTOR.pepper,
    handle: hexToBytes(VECTOR.handleHex),
    kid: hexToBytes(VECTOR.kidHex),
    sender: x25519PrivateFromRaw(VECTOR.senderPrivate),
    recipientPublic: hexToBytes(VECTOR.serverPublicHex),
    plaintext: utf8ToBytes(VECTOR.plaintext),
    nonce: VECTOR.nonce,
  });
}
