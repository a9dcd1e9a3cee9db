import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, publishAndWait, tempDir, testUplinkBytes } from '@parley/testkit';
import { startTestPlatform, type TestPlatform } from './testing';

// MQTT over TLS and HTTPS with a CA made for this run by the openssl CLI (a test certificate that
// expires or leaks would be worse than a dependency on a tool every CI image has).

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('The TLS tests need the `openssl` command line tool to create a test CA; install openssl (e.g. apt-get install openssl).');
    }
    throw err;
  }
}

/** A CA, and a server certificate for localhost/127.0.0.1 signed by it, in `dir`. */
function makeCertificates(dir: string): { ca: Buffer; cert: string; key: string } {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Parley test CA'], dir);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  const ext = join(dir, 'server.ext');
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ${JSON.stringify(ext)}`]);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext'], dir);
  return { ca: readFileSync(join(dir, 'ca.pem')), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

/** A client certificate with CN = `cn`, signed by the test CA (or self-signed with `selfSigned`). */
function clientCertificate(dir: string, cn: string, selfSigned = false): { cert: Buffer; key: Buffer } {
  const base = `client-${cn}${selfSigned ? '-self' : ''}`;
  if (selfSigned) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`, '-days', '1', '-subj', `/CN=${cn}`], dir);
  } else {
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`], dir);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${base}.pem`, '-days', '1'], dir);
  }
  return { cert: readFileSync(join(dir, `${base}.pem`)), key: readFileSync(join(dir, `${base}.key`)) };
}

function httpsGet(port: number, path: string, ca?: Buffer): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

let certDir: string;
let certs: ReturnType<typeof makeCertificates>;
let platform: TestPlatform;

beforeAll(async () => {
  certDir = await tempDir('parley-tls-');
  certs = makeCertificates(certDir);
  platform = await startTestPlatform({ config: { tlsCert: certs.cert, tlsKey: certs.key, tlsClientCa: join(certDir, 'ca.pem'), mqttsPort: 0 } });
});

afterAll(async () => {
  await platform?.destroy();
  await rm(certDir, { recursive: true, force: true });
});

describe('TLS', () => {
  it('accepts devices over mqtts with a certificate the device trusts, and acknowledges their uplinks', async () => {
    const [dev] = await platform.registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 });
    const port = platform.broker.ports().mqtts!;
    const c = await connectDevice(`mqtts://127.0.0.1:${port}`, dev!, { ca: certs.ca });
    try {
      expect(c.returnCode).toBe(0);
      await publishAndWait(c.client, `devices/${dev!.id}/up`, testUplinkBytes(dev!.id, 1));
      expect(platform.broker.stats().accepted).toBeGreaterThanOrEqual(1);
    } finally {
      await c.close();
    }
  });

  it('fails the handshake for a client that does not trust the certificate', async () => {
    const [dev] = await platform.registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 });
    await expect(connectDevice(`mqtts://127.0.0.1:${platform.broker.ports().mqtts!}`, dev!)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it('serves the API over HTTPS with the same routes and security headers', async () => {
    expect(platform.httpUrl).toMatch(/^https:\/\//);
    const res = await httpsGet(platform.httpPort, '/healthz', certs.ca);
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    await expect(httpsGet(platform.httpPort, '/healthz')).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it('lets a device log in with a client certificate the CA signed (CN = device id), and refuses foreign or untrusted ones', async () => {
    const [dev, other] = await platform.registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 2 });
    const url = `mqtts://127.0.0.1:${platform.broker.ports().mqtts!}`;
    const mine = clientCertificate(certDir, dev!.id);
    // No password at all: the certificate is the credential.
    const c = await connectDevice(url, { id: dev!.id, secret: '' }, { ca: certs.ca, ...mine, password: undefined as never, username: undefined as never });
    try {
      expect(c.returnCode).toBe(0);
      await publishAndWait(c.client, `devices/${dev!.id}/up`, testUplinkBytes(dev!.id, 1));
    } finally {
      await c.close();
    }
    // Another device's certificate does not open this device's session.
    const foreign = await connectDevice(url, { id: other!.id, secret: '' }, { ca: certs.ca, ...mine, password: undefined as never, username: undefined as never });
    expect(foreign.returnCode).toBe(2);
    await foreign.close();
    // A self-signed certificate with the right CN is not trusted.
    const forged = await connectDevice(url, { id: dev!.id, secret: '' }, { ca: certs.ca, ...clientCertificate(certDir, dev!.id, true), password: undefined as never, username: undefined as never });
    expect(forged.returnCode).toBe(4);
    await forged.close();
    // Devices without a certificate still log in with their secret on the same port.
    const withSecret = await connectDevice(url, other!, { ca: certs.ca });
    expect(withSecret.returnCode).toBe(0);
    await withSecret.close();
  });
});
