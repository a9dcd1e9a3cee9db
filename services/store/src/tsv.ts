/**
 * TabSeparated encoding for inserts. TSV, not JSON: the design measurements show JSON encoding in JS
 * is the ingest bottleneck, and TSV can go to chDB as one Buffer without a copy.
 *
 * Strings: TSV escapes backslash, tab, newline, carriage return and NUL; every other byte is taken
 * verbatim, so raw protobuf payloads survive as-is. Inside arrays, strings are also single-quoted.
 */

const ESCAPE_IN_FIELD = /[\\\t\n\r\0]/;
const ESCAPE_IN_ARRAY = /[\\\t\n\r\0']/;

function escapeChar(c: string): string {
  switch (c) {
    case '\\':
      return '\\\\';
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\0':
      return '\\0';
    case "'":
      return "\\'";
    default:
      return c;
  }
}

/** A string field. */
export function tsvString(s: string): string {
  return ESCAPE_IN_FIELD.test(s) ? s.replace(/[\\\t\n\r\0]/g, escapeChar) : s;
}

/** Array(String) literal. */
export function tsvStringArray(items: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    const s = items[i]!;
    if (i > 0) out += ',';
    out += "'" + (ESCAPE_IN_ARRAY.test(s) ? s.replace(/[\\\t\n\r\0']/g, escapeChar) : s) + "'";
  }
  return out + ']';
}

/** DateTime64(3) from epoch milliseconds, as decimal seconds (unambiguous in text formats). */
export function tsvTime(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const frac = ms - whole * 1000;
  return whole + '.' + (frac < 10 ? '00' : frac < 100 ? '0' : '') + frac;
}

/**
 * A binary String field written straight into bytes: payloads are arbitrary bytes, so they are
 * escaped at the byte level rather than through a JS string.
 */
export function tsvBinary(bytes: Uint8Array): Buffer {
  let extra = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x5c || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x00) extra++;
  }
  if (extra === 0) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = Buffer.allocUnsafe(bytes.length + extra);
  let j = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    switch (b) {
      case 0x5c:
        out[j++] = 0x5c;
        out[j++] = 0x5c;
        break;
      case 0x09:
        out[j++] = 0x5c;
        out[j++] = 0x74; // t
        break;
      case 0x0a:
        out[j++] = 0x5c;
        out[j++] = 0x6e; // n
        break;
      case 0x0d:
        out[j++] = 0x5c;
        out[j++] = 0x72; // r
        break;
      case 0x00:
        out[j++] = 0x5c;
        out[j++] = 0x30; // 0
        break;
      default:
        out[j++] = b;
    }
  }
  return out;
}

/**
 * Accumulates rows as Buffer chunks. Text columns are joined per row into one string; binary
 * columns are appended as Buffers, so no payload ever round-trips through UTF-16.
 */
export class TsvBuilder {
  private readonly chunks: Buffer[] = [];
  private pending = '';
  rows = 0;

  /** Appends text (already escaped), flushing to a Buffer now and then to bound string size. */
  text(s: string): this {
    this.pending += s;
    if (this.pending.length > 1 << 16) this.flushText();
    return this;
  }

  binary(b: Buffer): this {
    this.flushText();
    this.chunks.push(b);
    return this;
  }

  endRow(): this {
    this.pending += '\n';
    this.rows++;
    return this;
  }

  build(): Buffer {
    this.flushText();
    return Buffer.concat(this.chunks);
  }

  private flushText(): void {
    if (this.pending.length > 0) {
      this.chunks.push(Buffer.from(this.pending, 'utf8'));
      this.pending = '';
    }
  }
}
