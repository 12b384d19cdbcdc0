// Known-answer vectors for the sixzone circuit, taken from the first published build (sha256 4136cd04…) and
// checked by hand at rounds 0 and 11: a refactor of the circuit, or a port of its dealing (analyser, SDK),
// must reproduce them exactly.
export const SIXZONE_KAT = {
  seed: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  nonce_uuid: 'kat',
  tau: 'kat',
  /** `bearing:colour:symbols` of each zone, in bearing order. */
  zones: {
    0: ['N:violet:XFYD56', 'NE:yellow:HSGR30', 'SE:orange:IJALEB', 'S:blue:4MKT7C', 'SW:red:ZOVP29', 'NW:green:WQU81N'],
    11: [
      'N:violet:FL6BH2',
      'NE:blue:1PYJRW',
      'SE:red:OXCQ85',
      'S:green:UG73MD',
      'SW:orange:NK9SI0',
      'NW:yellow:VZTE4A',
    ],
  },
  secret: 'K7Q2ZD',
  mapping: { red: 'S', orange: 'SW', yellow: 'NW', green: 'N', blue: 'NE', violet: 'SE' },
  /** Round 0 asks for K (the blue zone at S), round 11 for D (the green zone at S). */
  answer: ['S', 'N', 'SE', 'S', 'NE', 'N', 'NE', 'SW', 'N', 'NW', 'S', 'S'],
  /** The same through the mapping: blue → NE at round 0, green → N at round 11. */
  answerWithMapping: ['NE', 'N', 'N', 'SW', 'SE', 'S', 'N', 'S', 'SW', 'S', 'S', 'N'],
} as const;
