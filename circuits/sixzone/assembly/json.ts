// A small strict JSON reader/writer: the circuit only needs objects, arrays, strings, integers and booleans,
// and a dependency-free parser keeps the module small and its bytes reproducible.

export const enum Kind { Null, Bool, Num, Str, Arr, Obj }

export class JValue {
  kind: Kind = Kind.Null;
  b: bool = false;
  /** Numbers keep their source text: the circuit echoes them and never computes with fractions. */
  text: string = "";
  items: JValue[] = [];
  keys: string[] = [];

  get(key: string): JValue | null {
    if (this.kind != Kind.Obj) return null;
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.items[i];
    return null;
  }
}

/** Value of a hex digit character, or -1. */
export function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

export class Parser {
  pos: i32 = 0;
  error: string | null = null;
  depth: i32 = 0;
  constructor(private s: string) {}

  parseDocument(): JValue | null {
    const v = this.value();
    if (v == null) return null;
    this.ws();
    if (this.pos != this.s.length) return this.fail("trailing characters after JSON");
    return v;
  }

  private fail(msg: string): JValue | null {
    if (this.error == null) this.error = msg + " at offset " + this.pos.toString();
    return null;
  }

  private ws(): void {
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) this.pos++;
      else break;
    }
  }

  private lit(word: string): bool {
    if (this.s.substr(this.pos, word.length) == word) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  private value(): JValue | null {
    this.ws();
    if (this.pos >= this.s.length) return this.fail("unexpected end of JSON");
    const c = this.s.charCodeAt(this.pos);
    const v = new JValue();
    if (c == 0x7b || c == 0x5b) {
      if (++this.depth > 16) return this.fail("JSON nested too deeply");
      const r = c == 0x7b ? this.object(v) : this.array(v);
      this.depth--;
      return r;
    }
    if (c == 0x22) {
      const s = this.str();
      if (s == null) return null;
      v.kind = Kind.Str;
      v.text = s;
      return v;
    }
    if (this.lit("true")) { v.kind = Kind.Bool; v.b = true; return v; }
    if (this.lit("false")) { v.kind = Kind.Bool; return v; }
    if (this.lit("null")) return v;
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.num(v);
    return this.fail("unexpected character");
  }

  private object(v: JValue): JValue | null {
    v.kind = Kind.Obj;
    this.pos++;
    this.ws();
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x7d) { this.pos++; return v; }
    while (true) {
      this.ws();
      if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x22) return this.fail("expected object key");
      const k = this.str();
      if (k == null) return null;
      if (v.get(k) != null) return this.fail("duplicate key " + k);
      this.ws();
      if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x3a) return this.fail("expected ':'");
      this.pos++;
      const item = this.value();
      if (item == null) return null;
      v.keys.push(k);
      v.items.push(item);
      this.ws();
      if (this.pos >= this.s.length) return this.fail("unterminated object");
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail("expected ',' or '}'");
    }
  }

  private array(v: JValue): JValue | null {
    v.kind = Kind.Arr;
    this.pos++;
    this.ws();
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x5d) { this.pos++; return v; }
    while (true) {
      const item = this.value();
      if (item == null) return null;
      v.items.push(item);
      this.ws();
      if (this.pos >= this.s.length) return this.fail("unterminated array");
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail("expected ',' or ']'");
    }
  }

  private digits(): i32 {
    const start = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos - start;
  }

  private peek(): i32 {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1;
  }

  /** RFC 8259 number grammar, kept as text (echoed verbatim, so it must be valid JSON). */
  private num(v: JValue): JValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) this.pos++;
    else if (this.digits() == 0) return this.fail("malformed number");
    if (this.peek() == 0x2e) {
      this.pos++;
      if (this.digits() == 0) return this.fail("malformed number");
    }
    if (this.peek() == 0x65 || this.peek() == 0x45) {
      this.pos++;
      if (this.peek() == 0x2b || this.peek() == 0x2d) this.pos++;
      if (this.digits() == 0) return this.fail("malformed number");
    }
    v.kind = Kind.Num;
    v.text = this.s.substring(start, this.pos);
    return v;
  }

  private str(): string | null {
    this.pos++;
    let out = "";
    let run = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c == 0x22) {
        out += this.s.substring(run, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c == 0x5c) {
        out += this.s.substring(run, this.pos);
        this.pos++;
        if (this.pos >= this.s.length) break;
        const e = this.s.charCodeAt(this.pos++);
        if (e == 0x22) out += "\"";
        else if (e == 0x5c) out += "\\";
        else if (e == 0x2f) out += "/";
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x6e) out += "\n";
        else if (e == 0x72) out += "\r";
        else if (e == 0x74) out += "\t";
        else if (e == 0x75) {
          if (this.pos + 4 > this.s.length) break;
          let code = 0;
          for (let i = 0; i < 4; i++) {
            const d = hexDigit(this.s.charCodeAt(this.pos++));
            if (d < 0) { this.fail("bad \\u escape"); return null; }
            code = (code << 4) | d;
          }
          out += String.fromCharCode(code);
        } else { this.fail("bad escape"); return null; }
        run = this.pos;
      } else this.pos++;
    }
    this.fail("unterminated string");
    return null;
  }
}

/** Output assembled as UTF-8 in one growing buffer, so a large document builds no intermediate strings. */
export class Out {
  buf: Uint8Array;
  len: i32 = 0;

  constructor(capacity: i32) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: i32): usize {
    if (this.len + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.len + n) cap *= 2;
      const next = new Uint8Array(cap);
      memory.copy(next.dataStart, this.buf.dataStart, this.len);
      this.buf = next;
    }
    return this.buf.dataStart + this.len;
  }

  byte(c: i32): void {
    store<u8>(this.room(1), <u8>c);
    this.len++;
  }

  /** `s` must be ASCII (the circuit's own literals and symbols). */
  ascii(s: string): void {
    const n = s.length;
    const p = this.room(n);
    for (let i = 0; i < n; i++) store<u8>(p + i, <u8>s.charCodeAt(i));
    this.len += n;
  }

  utf8(s: string): void {
    const b = String.UTF8.encode(s);
    const n = b.byteLength;
    memory.copy(this.room(n), changetype<usize>(b), n);
    this.len += n;
  }
}

/** JSON string literal of `s`. Copies unescaped runs whole: per-character `+=` is quadratic in the length. */
export function quote(s: string): string {
  let out = "\"";
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c == 0x22) esc = "\\\"";
    else if (c == 0x5c) esc = "\\\\";
    else if (c < 0x20) esc = "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    if (esc != null) {
      out += s.substring(run, i) + esc;
      run = i + 1;
    }
  }
  return out + s.substring(run) + "\"";
}

/** Compact JSON text of a parsed value (used to echo `tau`, which may be a string or a number). */
export function stringify(v: JValue): string {
  if (v.kind == Kind.Null) return "null";
  if (v.kind == Kind.Bool) return v.b ? "true" : "false";
  if (v.kind == Kind.Num) return v.text;
  if (v.kind == Kind.Str) return quote(v.text);
  const parts = new Array<string>(0);
  if (v.kind == Kind.Arr) {
    for (let i = 0; i < v.items.length; i++) parts.push(stringify(v.items[i]));
    return "[" + parts.join(",") + "]";
  }
  for (let i = 0; i < v.keys.length; i++) parts.push(quote(v.keys[i]) + ":" + stringify(v.items[i]));
  return "{" + parts.join(",") + "}";
}
