/**
 * HTTP/2 frames written by hand (RFC 9113 §4.1, §6), for tests that must send what a real client
 * never would: any type, flags and stream id, padding, and a length field that lies.
 */

/** The client connection preface (RFC 9113 §3.4). */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Frame types (RFC 9113 §6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags (RFC 9113 §6). */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Settings identifiers (RFC 9113 §6.5.2). */
export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/**
 * One frame: a 9-octet header and the payload. `length` replaces the true payload length in the
 * header (a length that lies); the reserved bit of the stream id is cleared, as a sender must.
 */
export function frame(type: number, flags: number, streamId: number, payload: Buffer, length = payload.length): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(length & 0xffffff, 0, 3);
  header[3] = type & 0xff;
  header[4] = flags & 0xff;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** A PADDED payload (RFC 9113 §6.1): pad length octet, the data, then that many zero octets. */
export function padded(data: Buffer, padLength: number): Buffer {
  return Buffer.concat([Buffer.of(padLength & 0xff), data, Buffer.alloc(padLength & 0xff)]);
}

/** A SETTINGS payload: (identifier, value) pairs of six octets each (RFC 9113 §6.5.1). */
export function settingsPayload(settings: readonly (readonly [id: number, value: number])[]): Buffer {
  const payload = Buffer.alloc(settings.length * 6);
  settings.forEach(([id, value], index) => {
    payload.writeUInt16BE(id & 0xffff, index * 6);
    payload.writeUInt32BE(value >>> 0, index * 6 + 2);
  });
  return payload;
}

/** A PRIORITY payload, also the priority block of a HEADERS frame with PRIORITY (RFC 9113 §6.3). */
export function priorityPayload(dependsOn: number, weight: number, exclusive: boolean): Buffer {
  const payload = Buffer.alloc(5);
  payload.writeUInt32BE(((exclusive ? 0x80000000 : 0) | (dependsOn & 0x7fffffff)) >>> 0, 0);
  payload[4] = weight & 0xff;
  return payload;
}

/** A 32-bit payload: RST_STREAM's error code, WINDOW_UPDATE's increment (RFC 9113 §6.4, §6.9). */
export function uint32Payload(value: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(value >>> 0, 0);
  return payload;
}

/** A GOAWAY payload: last stream id, error code, debug data (RFC 9113 §6.8). */
export function goawayPayload(lastStreamId: number, code: number, debug: Buffer = Buffer.alloc(0)): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastStreamId & 0x7fffffff, 0);
  payload.writeUInt32BE(code >>> 0, 4);
  return Buffer.concat([payload, debug]);
}
