// Content.Write requests decoded without copying their data: the generated decoder copies the
// `data` field (Buffer.from of the reader's bytes), a second 1 MiB allocation and copy per message of
// a pull. The small fields still go through the generated decoder.
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { ContentService, WriteContentRequest } from '../../api/gen/containerd/services/content/v1/content.js';

const DATA_FIELD = 6;
const NO_DATA = Buffer.alloc(0);

export function decodeWriteRequest(buf: Buffer): WriteContentRequest {
  const r = new BinaryReader(buf);
  const rest: Uint8Array[] = [];
  let data: Buffer = NO_DATA;
  while (r.pos < r.len) {
    const start = r.pos;
    const [no, wireType] = r.tag();
    if (no === DATA_FIELD && wireType === WireType.LengthDelimited) {
      const b = r.bytes();
      // A view on the message's own buffer, which gRPC does not reuse.
      data = Buffer.from(b.buffer, b.byteOffset, b.length);
    } else {
      r.skip(wireType, no);
      rest.push(buf.subarray(start, r.pos));
    }
  }
  const msg = WriteContentRequest.decode(rest.length === 1 ? rest[0] : Buffer.concat(rest));
  msg.data = data;
  return msg;
}

/** The Content service definition with that decoder for Write. */
export const ContentServiceDefinition: typeof ContentService = {
  ...ContentService,
  write: { ...ContentService.write, requestDeserialize: decodeWriteRequest },
};
