// sixzone: the six-zone grid ceremony as a WASI command. See ../README.md for the JSON contract.
import { exit, readArgs, readStdin, writeStderr, writeStdout, writeStdoutBytes } from "./wasi";
import { hexDigit, JValue, Kind, Out, Parser, quote, stringify } from "./json";

// SHA-256 of exactly 64 bytes, from @chainsafe/as-sha256's prebuilt module, linked in by circuits/build.mjs
// (the package ships only compiled wasm). Both modules share one memory; pointers are absolute.
@external("sha256", "digest64")
declare function digest64(inPtr: usize, outPtr: usize): void;

const VERSION = 1;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const BEARINGS: string[] = ["N", "NE", "SE", "S", "SW", "NW"];
const COLOURS: string[] = ["red", "orange", "yellow", "green", "blue", "violet"];
const MIN_SECRET = 4;
const MAX_SECRET = 12;
const MAX_STDIN = 65536;

// Mint-time parameters: a 16-byte marker followed by the round count. `circuit mint` patches the byte after
// the marker, so the published module carries its own parameters and `challenge` needs no secret.
const PARAMS = memory.data<u8>([
  0x65, 0x6e, 0x69, 0x36, 0x6d, 0x61, 0x2e, 0x73, 0x69, 0x78, 0x7a, 0x6f, 0x6e, 0x65, 0x2e, 0x70, // "eni6ma.sixzone.p"
  12,
]);

function rounds(): i32 {
  return <i32>load<u8>(PARAMS + 16);
}

export function abort(msg: usize, file: usize, line: u32, col: u32): void {
  writeStdout('{"error":{"code":"INTERNAL","message":"circuit aborted"}}\n');
  exit(70);
}

class Failure {
  constructor(public code: string, public message: string) {}
}
let failure: Failure | null = null;

function fail(message: string): void {
  if (failure == null) failure = new Failure("INVALID_INPUT", message);
}

/** Per-round byte stream: block k of round r is SHA-256(seed ‖ u32be(r) ‖ u32be(k) ‖ 24 zero bytes). */
class RoundStream {
  block: Uint8Array = new Uint8Array(64);
  out: Uint8Array = new Uint8Array(32);
  pos: i32 = 32;
  counter: u32 = 0;

  constructor(seed: Uint8Array) {
    memory.copy(this.block.dataStart, seed.dataStart, 32);
  }

  start(round: u32): void {
    store<u32>(this.block.dataStart + 32, bswap<u32>(round));
    this.pos = 32;
    this.counter = 0;
  }

  private byte(): u32 {
    if (this.pos == 32) {
      store<u32>(this.block.dataStart + 36, bswap<u32>(this.counter++));
      digest64(this.block.dataStart, this.out.dataStart);
      this.pos = 0;
    }
    return <u32>this.out[this.pos++];
  }

  /** Uniform integer in [0, n) for 1 ≤ n ≤ 256, by rejection (no modulo bias). */
  below(n: u32): u32 {
    const limit: u32 = 256 - (256 % n);
    while (true) {
      const b = this.byte();
      if (b < limit) return b % n;
    }
  }
}

/**
 * One dealt round, reused from round to round (no allocation per round): the shuffled alphabet as character
 * codes and the shuffled colours. Zone z sits at BEARINGS[z], has colour `colours[z]` and holds the symbols
 * at positions ≡ z (mod 6), in order.
 */
class Deal {
  symbols: StaticArray<u8> = new StaticArray<u8>(36);
  colours: StaticArray<i32> = new StaticArray<i32>(6);
  stream: RoundStream;

  constructor(seed: Uint8Array) {
    this.stream = new RoundStream(seed);
  }

  round(r: i32): void {
    const rs = this.stream;
    rs.start(<u32>r);
    const symbols = this.symbols;
    for (let i = 0; i < 36; i++) symbols[i] = <u8>ALPHABET.charCodeAt(i);
    for (let i = 35; i > 0; i--) {
      const j = <i32>rs.below(<u32>(i + 1));
      const t = symbols[i];
      symbols[i] = symbols[j];
      symbols[j] = t;
    }
    const colours = this.colours;
    for (let i = 0; i < 6; i++) colours[i] = i;
    for (let i = 5; i > 0; i--) {
      const j = <i32>rs.below(<u32>(i + 1));
      const t = colours[i];
      colours[i] = colours[j];
      colours[j] = t;
    }
  }

  /** The zone holding character `c` in the current round, or -1. */
  zoneOf(c: i32): i32 {
    let zone = -1;
    for (let i = 0; i < 36; i++) if (<i32>this.symbols[i] == c) zone = i % 6;
    return zone;
  }
}

function indexOf(list: string[], s: string): i32 {
  for (let i = 0; i < list.length; i++) if (list[i] == s) return i;
  return -1;
}

function str(obj: JValue, key: string): string | null {
  const v = obj.get(key);
  if (v == null || v.kind != Kind.Str) {
    fail("`" + key + "` must be a string");
    return null;
  }
  return v.text;
}

/** `seed`: 64 hex characters (32 bytes). */
function seedOf(req: JValue): Uint8Array | null {
  const s = str(req, "seed");
  if (s == null) return null;
  if (s.length != 64) {
    fail("`seed` must be 64 hex characters");
    return null;
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    const hi = hexDigit(s.charCodeAt(2 * i));
    const lo = hexDigit(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      fail("`seed` must be 64 hex characters");
      return null;
    }
    out[i] = <u8>((hi << 4) | lo);
  }
  return out;
}

/** Checks the fields every command after `info` shares; returns the echoed `tau` JSON. */
function common(req: JValue): string | null {
  if (req.kind != Kind.Obj) {
    fail("request must be a JSON object");
    return null;
  }
  const nonce = str(req, "nonce_uuid");
  if (nonce == null) return null;
  if (nonce.length == 0 || nonce.length > 128) {
    fail("`nonce_uuid` must be 1-128 characters");
    return null;
  }
  const tau = req.get("tau");
  if (tau == null || (tau.kind != Kind.Str && tau.kind != Kind.Num)) {
    fail("`tau` must be a string or a number");
    return null;
  }
  return stringify(tau);
}

function info(): string {
  const bearings = new Array<string>(0);
  for (let i = 0; i < 6; i++) bearings.push(quote(BEARINGS[i]));
  const colours = new Array<string>(0);
  for (let i = 0; i < 6; i++) colours.push(quote(COLOURS[i]));
  return '{"circuit":"sixzone","version":' + VERSION.toString() +
    ',"commands":["info","challenge","validate-response"]' +
    ',"rounds":' + rounds().toString() +
    ',"alphabet":' + quote(ALPHABET) +
    ',"bearings":[' + bearings.join(",") + ']' +
    ',"colours":[' + colours.join(",") + ']' +
    ',"secret_length":{"min":' + MIN_SECRET.toString() + ',"max":' + MAX_SECRET.toString() + '}}';
}

function challenge(req: JValue): Out | null {
  const tau = common(req);
  if (tau == null) return null;
  const seed = seedOf(req);
  if (seed == null) return null;
  const n = rounds();
  const o = new Out(6144);
  o.ascii('{"circuit":"sixzone","version":' + VERSION.toString() + ',"nonce_uuid":');
  o.utf8(quote(req.get("nonce_uuid")!.text));
  o.ascii(',"tau":');
  o.utf8(tau);
  o.ascii(',"alphabet":' + quote(ALPHABET) + ',"rounds":[');
  const deal = new Deal(seed);
  for (let r = 0; r < n; r++) {
    deal.round(r);
    if (r > 0) o.byte(0x2c);
    o.ascii('{"round":' + r.toString() + ',"zones":[');
    for (let z = 0; z < 6; z++) {
      if (z > 0) o.byte(0x2c);
      o.ascii('{"bearing":"');
      o.ascii(BEARINGS[z]);
      o.ascii('","colour":"');
      o.ascii(COLOURS[deal.colours[z]]);
      o.ascii('","symbols":[');
      for (let i = z; i < 36; i += 6) {
        if (i > z) o.byte(0x2c);
        o.byte(0x22);
        o.byte(<i32>deal.symbols[i]);
        o.byte(0x22);
      }
      o.ascii("]}");
    }
    o.ascii("]}");
  }
  o.ascii("]}");
  return o;
}

class Secret {
  constructor(public symbols: string, public mapping: i32[] | null) {}
}

/** `secret`: {"symbols": "A1B2", "mapping"?: {"red": "N", ...}} — mapping is a colour→bearing permutation. */
function secretOf(req: JValue): Secret | null {
  const sv = req.get("secret");
  if (sv == null || sv.kind != Kind.Obj) {
    fail("`secret` must be an object");
    return null;
  }
  const symbols = str(sv, "symbols");
  if (symbols == null) return null;
  if (symbols.length < MIN_SECRET || symbols.length > MAX_SECRET) {
    fail("`secret.symbols` must have " + MIN_SECRET.toString() + "-" + MAX_SECRET.toString() + " symbols");
    return null;
  }
  for (let i = 0; i < symbols.length; i++) {
    if (ALPHABET.indexOf(symbols.charAt(i)) < 0) {
      fail("`secret.symbols` has a symbol outside the alphabet");
      return null;
    }
  }
  const mv = sv.get("mapping");
  if (mv == null || mv.kind == Kind.Null) return new Secret(symbols, null);
  if (mv.kind != Kind.Obj || mv.keys.length != 6) {
    fail("`secret.mapping` must map each of the six colours to a bearing");
    return null;
  }
  const mapping: i32[] = [-1, -1, -1, -1, -1, -1];
  const used: bool[] = [false, false, false, false, false, false];
  for (let c = 0; c < 6; c++) {
    const b = mv.get(COLOURS[c]);
    const bi = b != null && b.kind == Kind.Str ? indexOf(BEARINGS, b.text) : -1;
    if (bi < 0 || used[bi]) {
      fail("`secret.mapping` must be a permutation: each colour to a distinct bearing");
      return null;
    }
    used[bi] = true;
    mapping[c] = bi;
  }
  return new Secret(symbols, mapping);
}

function validateResponse(req: JValue): Out | null {
  if (common(req) == null) return null;
  const seed = seedOf(req);
  if (seed == null) return null;
  const payload = req.get("payload");
  const bv = payload != null && payload.kind == Kind.Obj ? payload.get("bearings") : null;
  if (bv == null || bv.kind != Kind.Arr) {
    fail("`payload.bearings` must be an array of bearings");
    return null;
  }
  const answers = new Array<i32>(0);
  for (let i = 0; i < bv.items.length; i++) {
    const item = bv.items[i];
    const bi = item.kind == Kind.Str ? indexOf(BEARINGS, item.text) : -1;
    if (bi < 0) {
      fail("`payload.bearings` entries must be one of N, NE, SE, S, SW, NW");
      return null;
    }
    answers.push(bi);
  }
  const secret = secretOf(req);
  if (secret == null) return null;
  const n = rounds();
  // Every round is checked even after a miss, so the time taken does not reveal where the first error is.
  let ok = answers.length == n;
  const deal = new Deal(seed);
  for (let r = 0; r < n; r++) {
    deal.round(r);
    const zone = deal.zoneOf(secret.symbols.charCodeAt(r % secret.symbols.length));
    const mapping = secret.mapping;
    const expected = zone < 0 ? -1 : mapping == null ? zone : mapping[deal.colours[zone]];
    if (r >= answers.length || answers[r] != expected) ok = false;
  }
  const o = new Out(16);
  o.ascii(ok ? '{"valid":true}' : '{"valid":false}');
  return o;
}

function main(): u32 {
  const argv = readArgs();
  if (argv.length < 2) {
    writeStdout('{"error":{"code":"INVALID_INPUT","message":"usage: sixzone <info|challenge|validate-response>"}}\n');
    return 2;
  }
  const command = argv[1];
  let out: Out | null = null;
  if (command == "info") {
    out = new Out(512);
    out.utf8(info());
  } else if (command == "challenge" || command == "validate-response") {
    const input = readStdin(MAX_STDIN);
    if (input == null) {
      fail("stdin exceeds " + MAX_STDIN.toString() + " bytes");
    } else {
      const parser = new Parser(input);
      const req = parser.parseDocument();
      if (req == null) fail("stdin is not valid JSON: " + parser.error!);
      else out = command == "challenge" ? challenge(req) : validateResponse(req);
    }
  } else {
    failure = new Failure("UNKNOWN_COMMAND", "unknown command " + quote(command));
  }
  if (out == null) {
    const f = failure!;
    writeStdout('{"error":{"code":' + quote(f.code) + ',"message":' + quote(f.message) + '}}\n');
    writeStderr(f.message + "\n");
    return 2;
  }
  out.byte(0x0a);
  writeStdoutBytes(out.buf.dataStart, out.len);
  return 0;
}

const code = main();
if (code != 0) exit(code);
