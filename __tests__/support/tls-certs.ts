// Throwaway certificates for the TLS tests, made at run time with openssl (never committed):
// a CA, and certificates it signs for node names (CN and a DNS subject alternative name).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Pem {
  cert: Buffer;
  key: Buffer;
}

export class TestCa {
  private constructor(
    private readonly dir: string,
    readonly cert: Buffer,
    private readonly name: string,
  ) {}

  /** A new CA in its own temporary directory. */
  static create(name = 'actor-kv test CA'): TestCa {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-tls-'));
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', `/CN=${name}`]);
    return new TestCa(dir, fs.readFileSync(path.join(dir, 'ca.crt')), name);
  }

  /** A certificate and key for `name` (and, if given, for an IP address too), signed by this CA. */
  issue(name: string, ip?: string): Pem {
    const base = `${this.name.replace(/\W/g, '')}-${name.replace(/\W/g, '_')}`;
    fs.writeFileSync(path.join(this.dir, `${base}.ext`), `subjectAltName=DNS:${name}${ip === undefined ? '' : `,IP:${ip}`}\n`);
    openssl(this.dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`]);
    openssl(this.dir, ['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${base}.crt`, '-days', '1', '-extfile', `${base}.ext`]);
    return { cert: fs.readFileSync(path.join(this.dir, `${base}.crt`)), key: fs.readFileSync(path.join(this.dir, `${base}.key`)) };
  }

  /** Writes `pem` and this CA's certificate as files (for the command line); returns their paths. */
  files(pem: Pem, name: string): { cert: string; key: string; ca: string } {
    const paths = { cert: path.join(this.dir, `${name}.pem`), key: path.join(this.dir, `${name}-key.pem`), ca: path.join(this.dir, 'ca.crt') };
    fs.writeFileSync(paths.cert, pem.cert);
    fs.writeFileSync(paths.key, pem.key);
    return paths;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}
