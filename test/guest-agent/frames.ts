// The serial mux's frames, as the host speaks them to banger-agent:
// 1 byte type | u32 BE connection id | u32 BE payload length (<= 65536) | payload.

export const MAX_PAYLOAD = 65536;
const HEADER = 9;

export interface Frame {
  type: string;
  id: number;
  payload: Buffer;
}

/** One frame. type is a single byte: any, so tests can send invalid ones too. */
export function encodeFrame(type: string | number, id: number, payload: Buffer | string = ''): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER);
  header[0] = typeof type === 'number' ? type : type.charCodeAt(0);
  header.writeUInt32BE(id >>> 0, 1);
  header.writeUInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
}

/** Frames for data of any size, split at the largest payload the agent accepts. */
export function dataFrames(id: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const parts: Buffer[] = [];
  for (let off = 0; off < body.length; off += MAX_PAYLOAD) {
    parts.push(encodeFrame('D', id, body.subarray(off, off + MAX_PAYLOAD)));
  }
  return Buffer.concat(parts);
}

/** Cuts a byte stream from the agent into frames; throws on anything the agent must never send. */
export class FrameDecoder {
  private pending = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    while (this.pending.length >= HEADER) {
      const type = String.fromCharCode(this.pending[0]!);
      const length = this.pending.readUInt32BE(5);
      if (!'ODC'.includes(type) || length > MAX_PAYLOAD) {
        throw new Error(`agent sent a bad frame: type ${this.pending[0]}, length ${length}`);
      }
      if (this.pending.length < HEADER + length) break;
      const id = this.pending.readUInt32BE(1);
      frames.push({ type, id, payload: Buffer.from(this.pending.subarray(HEADER, HEADER + length)) });
      this.pending = this.pending.subarray(HEADER + length);
    }
    return frames;
  }
}
