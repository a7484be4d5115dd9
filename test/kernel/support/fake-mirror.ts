import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpawnRunner } from '../../../src/host/runner.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface FakeMirror {
  url: string;
  /** Paths requested so far, in order. */
  requests: string[];
  /** Replace what is served at `path` (to tamper with a file after the index was made). */
  serve(path: string, body: Buffer): void;
  close(): Promise<void>;
}

export interface MirrorPackage {
  name: string;
  version: string;
  depends?: string;
  /** The .deb; omit for a package that is only listed. */
  deb: Buffer;
}

/**
 * A minimal Debian mirror over HTTP on 127.0.0.1 for one suite: an unsigned
 * InRelease with Acquire-By-Hash, a by-hash Packages.xz, and pool files,
 * all with correct hashes. Tests then tamper with individual files.
 */
export async function startFakeMirror(suite: string, packages: MirrorPackage[]): Promise<FakeMirror> {
  const files = new Map<string, Buffer>();
  const stanzas = packages.map((p) => {
    const filename = `pool/main/l/linux/${p.name}_${p.version}_amd64.deb`;
    files.set(`/${filename}`, p.deb);
    return [
      `Package: ${p.name}`,
      `Version: ${p.version}`,
      'Architecture: amd64',
      ...(p.depends ? [`Depends: ${p.depends}`] : []),
      `Filename: ${filename}`,
      `Size: ${p.deb.length}`,
      `SHA256: ${sha256(p.deb)}`,
      '',
    ].join('\n');
  });
  const index = Buffer.from(stanzas.join('\n'));
  const { stdout } = await new SpawnRunner().run(['sh', '-c', 'xz -c | base64 -w0'], { input: index });
  const xz = Buffer.from(stdout, 'base64');
  files.set(`/dists/${suite}/main/binary-amd64/by-hash/SHA256/${sha256(xz)}`, xz);
  files.set(
    `/dists/${suite}/InRelease`,
    Buffer.from(
      `Origin: Test\nCodename: ${suite}\nAcquire-By-Hash: yes\nSHA256:\n ${sha256(xz)} ${xz.length} main/binary-amd64/Packages.xz\n ${sha256(index)} ${index.length} main/binary-amd64/Packages\n`,
    ),
  );

  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    serve: (path, body) => files.set(path, body),
    close: () =>
      new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
