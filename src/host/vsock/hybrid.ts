import { connect, type Socket } from 'node:net';
import { AppError } from '../../domain/errors.js';

/** The longest acknowledgement line Firecracker sends (`OK 4294967295\n` is 14 bytes). */
const MAX_ACK_LINE = 32;

/**
 * Opens a stream to guest vsock `port` through a Firecracker hybrid vsock
 * Unix socket (`uds_path`): writes `CONNECT <port>\n` and waits for
 * `OK <local port>\n`. Firecracker closes the connection instead when no
 * guest program listens on the port; that rejects with
 * AppError('operation_failed'), silence past `timeoutMs` with
 * AppError('timeout'). The socket comes back paused, with any bytes the
 * guest sent right after the acknowledgement still in it: resume or pipe it.
 */
export function connectVsock(udsPath: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(udsPath);
    let line = Buffer.alloc(0);
    const fail = (why: string, code: 'operation_failed' | 'timeout' = 'operation_failed') => {
      clearTimeout(timer);
      socket.destroy();
      reject(new AppError(code, `guest vsock port ${port}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`, 'timeout'), timeoutMs);
    const onData = (chunk: Buffer) => {
      line = Buffer.concat([line, chunk]);
      const end = line.indexOf(0x0a);
      if (end < 0) {
        if (line.length > MAX_ACK_LINE) fail('the VMM sent something that is not a vsock acknowledgement');
        return;
      }
      if (!/^OK [0-9]+$/.test(line.subarray(0, end).toString('latin1'))) {
        fail('the VMM sent something that is not a vsock acknowledgement');
        return;
      }
      clearTimeout(timer);
      socket.pause();
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      const rest = line.subarray(end + 1);
      if (rest.length > 0) socket.unshift(rest);
      // Until the caller listens, an error (a reset) must not be an unhandled 'error' event.
      socket.on('error', () => {});
      resolve(socket);
    };
    const onClose = () => fail('nothing in the guest accepted the connection');
    const onError = (err: Error) => fail(err.message);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.once('connect', () => socket.write(`CONNECT ${port}\n`));
  });
}
