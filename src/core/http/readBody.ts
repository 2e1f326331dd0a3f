/**
 * Reads a request body of at most `limit` bytes: the bytes, or undefined as soon as more
 * arrive (the rest is not read; the caller answers 413 and closes the connection).
 */
export async function readBodyBytes(body: AsyncIterable<Buffer | string>, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > limit) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}
