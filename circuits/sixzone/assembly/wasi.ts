// The five WASI preview 1 calls this circuit needs, declared directly: no shim package, no other imports.

@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLen: u32, nread: usize): u16;
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: u32, nwritten: usize): u16;
@external("wasi_snapshot_preview1", "args_sizes_get")
declare function args_sizes_get(argc: usize, argvBufSize: usize): u16;
@external("wasi_snapshot_preview1", "args_get")
declare function args_get(argv: usize, argvBuf: usize): u16;
@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: u32): void;

export function exit(code: u32): void {
  proc_exit(code);
}

/** argv as UTF-8 strings (argv[0] is the program name). */
export function readArgs(): string[] {
  const sizes = new Uint32Array(2);
  args_sizes_get(sizes.dataStart, sizes.dataStart + 4);
  const argc = sizes[0];
  const ptrs = new Uint32Array(argc);
  const buf = new Uint8Array(sizes[1]);
  args_get(ptrs.dataStart, buf.dataStart);
  const out = new Array<string>(0);
  for (let i: u32 = 0; i < argc; i++) {
    const start = ptrs[i];
    let end = start;
    while (load<u8>(end) != 0) end++;
    out.push(String.UTF8.decodeUnsafe(start, end - start));
  }
  return out;
}

/** All of stdin, or null when it exceeds `limit` bytes. */
export function readStdin(limit: i32): string | null {
  const iov = new Uint32Array(2);
  const nread = new Uint32Array(1);
  // Requests are small: start with 4 KiB and double, rather than touching (and zeroing) `limit` bytes per
  // run. One byte beyond the limit tells "exactly at the limit" from "over it"; reads land in place.
  let all = new Uint8Array(min(4096, limit + 1));
  let total = 0;
  while (total <= limit) {
    if (total == all.length) {
      const next = new Uint8Array(min(all.length * 2, limit + 1));
      memory.copy(next.dataStart, all.dataStart, total);
      all = next;
    }
    iov[0] = <u32>(all.dataStart + total);
    iov[1] = <u32>(all.length - total);
    if (fd_read(0, iov.dataStart, 1, nread.dataStart) != 0) break;
    const n = <i32>nread[0];
    if (n == 0) break;
    total += n;
  }
  if (total > limit) return null;
  return String.UTF8.decodeUnsafe(all.dataStart, total);
}

function writeAll(fd: u32, ptr: usize, len: i32): void {
  const iov = new Uint32Array(2);
  const written = new Uint32Array(1);
  let off = 0;
  while (off < len) {
    iov[0] = <u32>(ptr + off);
    iov[1] = len - off;
    if (fd_write(fd, iov.dataStart, 1, written.dataStart) != 0) return;
    off += <i32>written[0];
  }
}

function writeString(fd: u32, s: string): void {
  const bytes = String.UTF8.encode(s);
  writeAll(fd, changetype<usize>(bytes), bytes.byteLength);
}

export function writeStdout(s: string): void {
  writeString(1, s);
}

/** `len` bytes at `ptr` to stdout. */
export function writeStdoutBytes(ptr: usize, len: i32): void {
  writeAll(1, ptr, len);
}

export function writeStderr(s: string): void {
  writeString(2, s);
}
