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
const COMMA = 0x2c;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
/** sysexits.h: EX_USAGE for a refused request, EX_SOFTWARE when the circuit itself aborts. */
const EXIT_REFUSED = 2;
const EXIT_ABORTED = 70;

// Mint-time parameters: a 16-byte marker followed by the round count. `circuit mint` patches the byte after
// the marker, so the published module carries its own parameters and `challenge` needs no secret.
const PARAMS_MARKER_BYTES = 16;
const PARAMS = memory.data<u8>([
  0x65, 0x6e, 0x69, 0x36, 0x6d, 0x61, 0x2e, 0x73, 0x69, 0x78, 0x7a, 0x6f, 0x6e, 0x65, 0x2e, 0x70, // "eni6ma.sixzone.p"
  12,
]);

function rounds(): i32 {
  return <i32>load<u8>(PARAMS + PARAMS_MARKER_BYTES);
}

export function abort(msg: usize, file: usize, line: u32, col: u32): void {
  writeStdout('{"error":{"code":"INTERNAL","message":"circuit aborted"}}\n');
  exit(EXIT_ABORTED);
}

/** The first reason a request is refused; passed down explicitly, kept once set. */
class Refusal {
  code: string = "";
  message: string = "";

  fail(message: string): void {
    this.failWith("INVALID_INPUT", message);
  }

  failWith(code: string, message: string): void {
    if (this.code.length == 0) {
      this.code = code;
      this.message = message;
    }
  }
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

/** Fisher–Yates from the last item down, drawing from the round's stream. */
function shuffle<T>(items: StaticArray<T>, rs: RoundStream): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = <i32>rs.below(<u32>(i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
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
    shuffle<u8>(symbols, rs);
    const colours = this.colours;
    for (let i = 0; i < 6; i++) colours[i] = i;
    shuffle<i32>(colours, rs);
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

function str(obj: JValue, key: string, refusal: Refusal): string | null {
  const v = obj.get(key);
  if (v == null || v.kind != Kind.Str) {
    refusal.fail("`" + key + "` must be a string");
    return null;
  }
  return v.text;
}

/** `seed`: 64 hex characters (32 bytes). */
function seedOf(req: JValue, refusal: Refusal): Uint8Array | null {
  const s = str(req, "seed", refusal);
  if (s == null) return null;
  if (s.length != 64) {
    refusal.fail("`seed` must be 64 hex characters");
    return null;
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    const hi = hexDigit(s.charCodeAt(2 * i));
    const lo = hexDigit(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      refusal.fail("`seed` must be 64 hex characters");
      return null;
    }
    out[i] = <u8>((hi << 4) | lo);
  }
  return out;
}

/** Checks the fields every command after `info` shares; returns the echoed `tau` JSON. */
function common(req: JValue, refusal: Refusal): string | null {
  if (req.kind != Kind.Obj) {
    refusal.fail("request must be a JSON object");
    return null;
  }
  const nonce = str(req, "nonce_uuid", refusal);
  if (nonce == null) return null;
  if (nonce.length == 0 || nonce.length > 128) {
    refusal.fail("`nonce_uuid` must be 1-128 characters");
    return null;
  }
  const tau = req.get("tau");
  if (tau == null || (tau.kind != Kind.Str && tau.kind != Kind.Num)) {
    refusal.fail("`tau` must be a string or a number");
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

function challenge(req: JValue, refusal: Refusal): Out | null {
  const tau = common(req, refusal);
  if (tau == null) return null;
  const seed = seedOf(req, refusal);
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
    if (r > 0) o.byte(COMMA);
    o.ascii('{"round":' + r.toString() + ',"zones":[');
    for (let z = 0; z < 6; z++) {
      if (z > 0) o.byte(COMMA);
      o.ascii('{"bearing":"');
      o.ascii(BEARINGS[z]);
      o.ascii('","colour":"');
      o.ascii(COLOURS[deal.colours[z]]);
      o.ascii('","symbols":[');
      for (let i = z; i < 36; i += 6) {
        if (i > z) o.byte(COMMA);
        o.byte(QUOTE);
        o.byte(<i32>deal.symbols[i]);
        o.byte(QUOTE);
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
function secretOf(req: JValue, refusal: Refusal): Secret | null {
  const sv = req.get("secret");
  if (sv == null || sv.kind != Kind.Obj) {
    refusal.fail("`secret` must be an object");
    return null;
  }
  const symbols = str(sv, "symbols", refusal);
  if (symbols == null) return null;
  if (symbols.length < MIN_SECRET || symbols.length > MAX_SECRET) {
    refusal.fail("`secret.symbols` must have " + MIN_SECRET.toString() + "-" + MAX_SECRET.toString() + " symbols");
    return null;
  }
  for (let i = 0; i < symbols.length; i++) {
    if (ALPHABET.indexOf(symbols.charAt(i)) < 0) {
      refusal.fail("`secret.symbols` has a symbol outside the alphabet");
      return null;
    }
  }
  const mv = sv.get("mapping");
  if (mv == null || mv.kind == Kind.Null) return new Secret(symbols, null);
  if (mv.kind != Kind.Obj || mv.keys.length != 6) {
    refusal.fail("`secret.mapping` must map each of the six colours to a bearing");
    return null;
  }
  const mapping: i32[] = [-1, -1, -1, -1, -1, -1];
  const used: bool[] = [false, false, false, false, false, false];
  for (let c = 0; c < 6; c++) {
    const b = mv.get(COLOURS[c]);
    const bi = b != null && b.kind == Kind.Str ? indexOf(BEARINGS, b.text) : -1;
    if (bi < 0 || used[bi]) {
      refusal.fail("`secret.mapping` must be a permutation: each colour to a distinct bearing");
      return null;
    }
    used[bi] = true;
    mapping[c] = bi;
  }
  return new Secret(symbols, mapping);
}

function validateResponse(req: JValue, refusal: Refusal): Out | null {
  if (common(req, refusal) == null) return null;
  const seed = seedOf(req, refusal);
  if (seed == null) return null;
  const payload = req.get("payload");
  const bv = payload != null && payload.kind == Kind.Obj ? payload.get("bearings") : null;
  if (bv == null || bv.kind != Kind.Arr) {
    refusal.fail("`payload.bearings` must be an array of bearings");
    return null;
  }
  const answers = new Array<i32>(0);
  for (let i = 0; i < bv.items.length; i++) {
    const item = bv.items[i];
    const bi = item.kind == Kind.Str ? indexOf(BEARINGS, item.text) : -1;
    if (bi < 0) {
      refusal.fail("`payload.bearings` entries must be one of N, NE, SE, S, SW, NW");
      return null;
    }
    answers.push(bi);
  }
  const secret = secretOf(req, refusal);
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
    return EXIT_REFUSED;
  }
  const command = argv[1];
  const refusal = new Refusal();
  let out: Out | null = null;
  if (command == "info") {
    out = new Out(512);
    out.utf8(info());
  } else if (command == "challenge" || command == "validate-response") {
    const input = readStdin(MAX_STDIN);
    if (input == null) {
      refusal.fail("stdin exceeds " + MAX_STDIN.toString() + " bytes");
    } else {
      const parser = new Parser(input);
      const req = parser.parseDocument();
      if (req == null) refusal.fail("stdin is not valid JSON: " + parser.error!);
      else out = command == "challenge" ? challenge(req, refusal) : validateResponse(req, refusal);
    }
  } else {
    refusal.failWith("UNKNOWN_COMMAND", "unknown command " + quote(command));
  }
  if (out == null) {
    writeStdout('{"error":{"code":' + quote(refusal.code) + ',"message":' + quote(refusal.message) + '}}\n');
    writeStderr(refusal.message + "\n");
    return EXIT_REFUSED;
  }
  out.byte(NEWLINE);
  writeStdoutBytes(out.buf.dataStart, out.len);
  return 0;
}

const code = main();
if (code != 0) exit(code);
