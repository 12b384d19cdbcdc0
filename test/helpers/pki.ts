// A throwaway test CA with server and client certificates for 127.0.0.1, made with openssl.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A throwaway CA with `server` and `client` certificates for 127.0.0.1 in `dir` (ca.pem, server.pem/.key, client.pem/.key). */
export function makePki(dir: string): void {
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  /** `openssl req` options: a new unencrypted P-256 key into `key`, the request (or certificate) for /CN=`cn` into `out`. */
  const newP256 = (key: string, out: string, cn: string) => [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    out,
    '-subj',
    `/CN=${cn}`,
  ];
  openssl(['req', '-x509', ...newP256('ca.key', 'ca.pem', 'test-ca'), '-days', '2']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const name of ['server', 'client']) {
    openssl(['req', ...newP256(`${name}.key`, `${name}.csr`, name)]);
    openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      'san.ext',
    ]);
  }
}
