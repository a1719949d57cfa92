/**
 * A pass-through stream that tells how many bytes went through it: analytics' "bytes in" for request
 * bodies that declare no length (HTTP/1.1 chunked uploads, HTTP/2 and gRPC streams).
 */
import { Transform } from 'node:stream';

export function byteCounter(onBytes: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}
