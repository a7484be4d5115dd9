// The frames that carry vsock connections over one virtio-serial port
// (stand-in only; see vsock.ts). Both directions use the same layout:
//
//   type (1 byte: 'O' open/accept, 'D' data, 'C' close)
//   connection id (u32, big-endian)
//   payload length (u32, big-endian, at most MAX_FRAME_PAYLOAD)
//   payload
//
// 'O' from the host carries the guest port in ASCII decimal; the guest
// answers 'O' (empty) when something listens there, else 'C'.

export const MAX_FRAME_PAYLOAD = 65536;
const HEADER = 9;

export type FrameType = 'O' | 'D' | 'C';

export interface Frame {
  type: FrameType;
  id: number;
  payload: Buffer;
}

export function encodeFrame(type: FrameType, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD)
    throw new Error(`frame payload of ${payload.length} bytes is too long`);
  const header = Buffer.alloc(HEADER);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(id, 1);
  header.writeUInt32BE(payload.length, 5);
  return Buffer.concat([header, payload]);
}

/** Splits a byte stream into frames; throws on a frame no peer may send (the channel is then unusable). */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.pending.length >= HEADER) {
      const type = String.fromCharCode(this.pending[0] ?? 0);
      if (type !== 'O' && type !== 'D' && type !== 'C')
        throw new Error(`bad vsock frame type 0x${(this.pending[0] ?? 0).toString(16)}`);
      const length = this.pending.readUInt32BE(5);
      if (length > MAX_FRAME_PAYLOAD) throw new Error(`vsock frame of ${length} bytes is too long`);
      if (this.pending.length < HEADER + length) break;
      frames.push({
        type,
        id: this.pending.readUInt32BE(1),
        payload: Buffer.from(this.pending.subarray(HEADER, HEADER + length)),
      });
      this.pending = this.pending.subarray(HEADER + length);
    }
    return frames;
  }
}
