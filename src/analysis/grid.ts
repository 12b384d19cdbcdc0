// The six-zone deal as the analyser models it: a round's shuffled symbols and colours, and what an answer reveals.
import { SIXZONE_ALPHABET, SIXZONE_BEARINGS, SIXZONE_COLOURS, type SixzoneRound } from '../client/sixzone.js';
import { HashStream } from './stream.js';

export const SYMBOLS = SIXZONE_ALPHABET.length; // 36
export const ZONES = SIXZONE_BEARINGS.length; // 6

/**
 * One dealt round, as the circuit deals it: the alphabet shuffled (symbol indices into SIXZONE_ALPHABET),
 * zone z holding the positions ≡ z (mod 6) and coloured `colours[z]`, sitting at bearing z.
 */
export interface Deal {
  symbols: Uint8Array;
  colours: Uint8Array;
}

/** Round `round` of the challenge for `seed` (32 bytes): a port of the circuit's `Deal.round`. */
export function dealRound(seed: Uint8Array, round: number): Deal {
  const stream = new HashStream(seed, round);
  const symbols = stream.shuffle(SYMBOLS);
  const colours = stream.shuffle(ZONES);
  return { symbols, colours };
}

/**
 * What an answer reveals about each symbol in a round: its zone (the answer is that zone's bearing) without a
 * mapping, its zone's colour (the answer is mapping[colour]) with one. Indexed by symbol.
 */
export function labels(deal: Deal, mapping: boolean): Uint8Array {
  const out = new Uint8Array(SYMBOLS);
  deal.symbols.forEach((symbol, i) => {
    const zone = i % ZONES;
    out[symbol] = mapping ? deal.colours[zone]! : zone;
  });
  return out;
}

/** A deal in the circuit's `challenge` JSON shape (for comparing with the circuit). */
export function toSixzoneRound(deal: Deal, round: number): SixzoneRound {
  return {
    round,
    zones: SIXZONE_BEARINGS.map((bearing, z) => ({
      bearing,
      colour: SIXZONE_COLOURS[deal.colours[z]!]!,
      symbols: [...deal.symbols].filter((_, i) => i % ZONES === z).map((s) => SIXZONE_ALPHABET[s]!),
    })),
  };
}
