// The host side of a vsock device. These machines have no vhost-vsock, so QEMU
// gets no vsock device at all; the stand-in still binds `uds_path` as
// Firecracker does (same file appears, same EADDRINUSE when it already
// exists) and closes every host-initiated connection, which is what
// Firecracker does when no guest program listens on the requested port.
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

export class VsockBackend {
  private server: Server | undefined;
  private path: string | undefined;

  /** Listens on `path`; rejects with the Node error (EADDRINUSE...) when it cannot. */
  async bind(path: string): Promise<void> {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.close();
    this.server = server;
    this.path = path;
  }

  /** Stops listening and removes the socket file; idempotent and synchronous. */
  close(): void {
    this.server?.close();
    if (this.path) rmSync(this.path, { force: true });
    this.server = undefined;
    this.path = undefined;
  }
}
