import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Recorded {
  method: string;
  path: string;
  status: number;
  authorization: string | undefined;
}

export interface TestServer {
  host: string;
  requests: Recorded[];
  stop(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A loopback HTTP server (any 127/8 address) that records every request and the status it answered with. */
export async function serve(handler: Handler, address = '127.0.0.1'): Promise<TestServer> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    res.on('finish', () =>
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        status: res.statusCode,
        authorization: req.headers.authorization,
      }),
    );
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `${address}:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Forwards a request to `upstream` (host:port) unchanged and streams the answer back. */
export function forward(upstream: string, req: IncomingMessage, res: ServerResponse): void {
  const [hostname, port] = upstream.split(':');
  const out = request(
    {
      hostname,
      port: Number(port),
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream },
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  out.on('error', (err) => {
    res.statusCode = 502;
    res.end(String(err));
  });
  req.pipe(out);
}

/**
 * A registry front that demands a bearer token, like Docker Hub: requests
 * without `Authorization: Bearer <token>` get a 401 challenge pointing at
 * `/token` on the same server, which hands out the token only for the
 * expected service and a pull scope. With `redirectBlobsTo`, authorized
 * blob requests are redirected to that host:port.
 */
export async function tokenGate(
  upstream: string,
  token: string,
  options: { redirectBlobsTo?: string } = {},
): Promise<TestServer & { tokenRequests: URL[] }> {
  const tokenRequests: URL[] = [];
  let self = '';
  const server = await serve((req, res) => {
    const url = new URL(req.url ?? '/', `http://${self}`);
    if (url.pathname === '/token') {
      tokenRequests.push(url);
      const scope = url.searchParams.get('scope') ?? '';
      if (url.searchParams.get('service') !== 'test-registry' || !/^repository:[^:]+:pull$/.test(scope)) {
        res.statusCode = 403;
        res.end('{"errors":[{"code":"DENIED"}]}');
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      const repo = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(url.pathname)?.[1] ?? '';
      res.statusCode = 401;
      res.setHeader(
        'www-authenticate',
        `Bearer realm="http://${self}/token",service="test-registry",scope="repository:${repo}:pull"`,
      );
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    if (options.redirectBlobsTo && url.pathname.includes('/blobs/')) {
      // Like Docker Hub sending blobs to a CDN on another origin.
      res.statusCode = 307;
      res.setHeader('location', `http://${options.redirectBlobsTo}${url.pathname}`);
      res.end();
      return;
    }
    forward(upstream, req, res);
  });
  self = server.host;
  return { ...server, tokenRequests };
}
