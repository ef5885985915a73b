/**
 * How an object's bytes travel inline in an event: as text when they are text, base64
 * otherwise; the content type is kept either way. Pure.
 */
export interface InlineContent {
  contentType: string;
  content: string;
  contentEncoding: "utf8" | "base64";
}

const TEXTUAL =
  /^(text\/|application\/(json|xml|yaml|x-yaml|javascript|x-ndjson|csv|x-www-form-urlencoded)\b|[^;]*\+(json|xml)\b)/i;
const decoder = new TextDecoder("utf-8", { fatal: true });

export function inlineContent(body: Uint8Array, contentType: string | undefined): InlineContent {
  const type = contentType ?? "application/octet-stream";
  const text = decodeText(body);
  const textual =
    contentType === undefined || /^binary\/octet-stream|^application\/octet-stream/i.test(type)
      ? text !== undefined && !hasControlChars(text)
      : TEXTUAL.test(type) && text !== undefined;
  return textual
    ? { contentType: type, content: text!, contentEncoding: "utf8" }
    : {
        contentType: type,
        content: Buffer.from(body).toString("base64"),
        contentEncoding: "base64",
      };
}

function decodeText(body: Uint8Array): string | undefined {
  try {
    return decoder.decode(body);
  } catch {
    return undefined;
  }
}

/** NUL and other C0 controls besides tab, newline, form feed and carriage return mark binary data. */
function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d) return true;
  }
  return false;
}
