// Six-zone ceremony types and solver. Browser-safe (no Node imports): used by the ceremony page, the
// `prove --secret-file` automation, tests and benchmarks. The JSON shapes are those of circuits/sixzone.

export const SIXZONE_BEARINGS = ['N', 'NE', 'SE', 'S', 'SW', 'NW'] as const;
export const SIXZONE_COLOURS = ['red', 'orange', 'yellow', 'green', 'blue', 'violet'] as const;
export const SIXZONE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const SIXZONE_SECRET_MIN = 4;
export const SIXZONE_SECRET_MAX = 12;

export type Bearing = (typeof SIXZONE_BEARINGS)[number];
export type Colour = (typeof SIXZONE_COLOURS)[number];

export interface SixzoneZone {
  bearing: Bearing;
  colour: Colour;
  symbols: string[];
}

export interface SixzoneRound {
  round: number;
  zones: SixzoneZone[];
}

/** Output of the circuit's `challenge` command. */
export interface SixzoneChallenge {
  circuit: 'sixzone';
  version: number;
  nonce_uuid: string;
  tau: string | number;
  alphabet: string;
  rounds: SixzoneRound[];
}

/** A colour→bearing permutation: with one, a symbol is answered by its zone's colour instead of its bearing. */
export type SixzoneMapping = Record<Colour, Bearing>;

/** The verifier secret (sealed inside a minted circuit). */
export interface SixzoneSecret {
  symbols: string;
  mapping?: SixzoneMapping;
}

/** Why a secret is unusable, or undefined when it is well formed for `alphabet`. */
export function checkSixzoneSecret(secret: SixzoneSecret, alphabet: string = SIXZONE_ALPHABET): string | undefined {
  const n = secret.symbols.length;
  if (n < SIXZONE_SECRET_MIN || n > SIXZONE_SECRET_MAX) {
    return `the secret must have ${SIXZONE_SECRET_MIN}-${SIXZONE_SECRET_MAX} symbols (got ${n})`;
  }
  for (const ch of secret.symbols) {
    if (!alphabet.includes(ch)) return `symbol ${JSON.stringify(ch)} is not in the alphabet ${alphabet}`;
  }
  if (secret.mapping !== undefined) {
    const keys = Object.keys(secret.mapping);
    const values = new Set(Object.values(secret.mapping));
    const coloursOk = keys.length === 6 && SIXZONE_COLOURS.every((c) => keys.includes(c));
    const bearingsOk =
      values.size === 6 && [...values].every((b) => (SIXZONE_BEARINGS as readonly string[]).includes(b));
    if (!coloursOk || !bearingsOk) return 'the mapping must send each of the six colours to a distinct bearing';
  }
  return undefined;
}

/** The bearings that answer `challenge` for `secret`: round r asks for symbol r mod length. */
export function solveSixzone(challenge: SixzoneChallenge, secret: SixzoneSecret): Bearing[] {
  return challenge.rounds.map((round, r) => {
    const symbol = secret.symbols[r % secret.symbols.length]!;
    const zone = round.zones.find((z) => z.symbols.includes(symbol));
    if (!zone) throw new Error(`round ${r}: symbol ${JSON.stringify(symbol)} is in no zone`);
    return secret.mapping ? secret.mapping[zone.colour] : zone.bearing;
  });
}
