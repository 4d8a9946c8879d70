/**
 * Arrow IPC *file* framing, written to a byte sink.
 *
 *   "ARROW1" 00 00 | schema message | messages ... | EOS | footer | int32 footer size | "ARROW1"
 *
 * apache-arrow's RecordBatchFileWriter is not used for the trace: it buffers
 * output in an async queue (the simulation loop is synchronous), it omits the
 * stream-format schema message after the leading magic (checked with
 * apache-arrow 21: the first message is a dictionary batch), so front-to-back
 * readers cannot read its files, and it decides on its own when to emit
 * dictionaries, while the trace needs them written exactly once, before the
 * first batch (see writer.ts). So the framing is done here, but every
 * flatbuffer (schema, record batch and dictionary headers, footer) is still
 * encoded by apache-arrow's own classes, reached through its `./*` subpath
 * exports; only the byte layout around them (continuation marker, length
 * prefix, 8-byte padding, block offsets) is ours, and it follows
 * https://arrow.apache.org/docs/format/Columnar.html#ipc-file-format.
 *
 * Bytes go to the sink in call order, and padding is zeros, so the same calls
 * give the same bytes.
 */
import { Message, MetadataVersion, Schema } from 'apache-arrow';
import { BufferRegion, DictionaryBatch, FieldNode, RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { FileBlock, Footer } from 'apache-arrow/ipc/metadata/file';

/** Arrow aligns every message and every body buffer to 8 bytes. */
const IPC_ALIGNMENT = 8;
const MAGIC = new Uint8Array([0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]); // "ARROW1"
/** Encapsulated-message prefix: 0xFFFFFFFF continuation marker, then an int32 metadata length. */
const CONTINUATION = -1;
const PREFIX_BYTES = 8;
const INT32_BYTES = 4;
const ZEROS = new Uint8Array(IPC_ALIGNMENT);

export { FieldNode };

/** Arithmetic, not bit masks: file positions pass 2^31 in large traces. */
const padTo8 = (n: number): number => Math.ceil(n / IPC_ALIGNMENT) * IPC_ALIGNMENT;

/** Views a typed array's first `bytes` bytes without copying. */
export function bytesOf(a: ArrayBufferView, bytes = a.byteLength): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, bytes);
}

/** Where the file's bytes go, in order; it may keep a reference only until `write` returns. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
}

export class IpcFileWriter {
  private position = 0;
  private readonly recordBlocks: FileBlock[] = [];
  private readonly dictionaryBlocks: FileBlock[] = [];
  private readonly word = new Int32Array(2);

  constructor(private readonly sink: ByteSink, private readonly schema: Schema) {
    this.write(MAGIC);
    this.pad();
    // The stream-format schema message: the file format is "magic + a complete
    // stream + footer", and sequential readers start here.
    this.writeMessage(Message.from(schema), 0);
  }

  /**
   * One record batch: `buffers` are the Arrow body buffers in schema order
   * (validity then values, per field); an empty one is an absent buffer.
   */
  writeRecordBatch(length: number, nodes: FieldNode[], buffers: readonly Uint8Array[]): void {
    const { regions, bodyLength } = layout(buffers);
    const block = this.writeMessage(Message.from(new RecordBatchHeader(length, nodes, regions, null), bodyLength), bodyLength);
    this.writeBody(buffers);
    this.recordBlocks.push(block);
  }

  /** A complete (never delta) dictionary for dictionary id `id`. */
  writeDictionary(id: number, length: number, nodes: FieldNode[], buffers: readonly Uint8Array[]): void {
    const { regions, bodyLength } = layout(buffers);
    const header = new DictionaryBatch(new RecordBatchHeader(length, nodes, regions, null), id, false);
    const block = this.writeMessage(Message.from(header, bodyLength), bodyLength);
    this.writeBody(buffers);
    this.dictionaryBlocks.push(block);
  }

  /** End-of-stream marker, footer, footer length, closing magic. */
  finish(): void {
    this.word[0] = CONTINUATION;
    this.word[1] = 0;
    this.write(bytesOf(this.word));
    const footer = Footer.encode(new Footer(this.schema, MetadataVersion.V5, this.recordBlocks, this.dictionaryBlocks));
    this.write(footer);
    this.word[0] = footer.byteLength;
    this.write(bytesOf(this.word, INT32_BYTES));
    this.write(MAGIC);
  }

  private writeMessage(message: Message, bodyLength: number): FileBlock {
    const flatbuffer = Message.encode(message);
    const metaDataLength = padTo8(PREFIX_BYTES + flatbuffer.byteLength);
    const offset = this.position;
    this.word[0] = CONTINUATION;
    this.word[1] = metaDataLength - PREFIX_BYTES;
    this.write(bytesOf(this.word));
    this.write(flatbuffer);
    this.pad();
    return new FileBlock(metaDataLength, bodyLength, offset);
  }

  private writeBody(buffers: readonly Uint8Array[]): void {
    for (const b of buffers) {
      if (b.byteLength === 0) continue;
      this.write(b);
      this.pad();
    }
  }

  private pad(): void {
    const n = padTo8(this.position) - this.position;
    if (n > 0) this.write(ZEROS.subarray(0, n));
  }

  private write(bytes: Uint8Array): void {
    this.sink.write(bytes);
    this.position += bytes.byteLength;
  }
}

/** Body offsets: each buffer starts on an 8-byte boundary. */
function layout(buffers: readonly Uint8Array[]): { regions: BufferRegion[]; bodyLength: number } {
  const regions: BufferRegion[] = [];
  let offset = 0;
  for (const b of buffers) {
    regions.push(new BufferRegion(offset, b.byteLength));
    offset += padTo8(b.byteLength);
  }
  return { regions, bodyLength: offset };
}

/** A Utf8 column body (no nulls): absent validity, int32 offsets, UTF-8 bytes. */
export function utf8Buffers(values: readonly string[]): Uint8Array[] {
  const encoder = new TextEncoder();
  const encoded = values.map((v) => encoder.encode(v));
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  for (let i = 0; i < encoded.length; i++) {
    total += encoded[i]!.byteLength;
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < encoded.length; i++) data.set(encoded[i]!, offsets[i]!);
  return [new Uint8Array(0), bytesOf(offsets), data];
}
