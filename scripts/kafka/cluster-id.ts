import { randomBytes } from 'node:crypto';

/**
 * Kafka's string form of a 16-byte Uuid: unpadded base64url, 22 characters. Kafka never hands out the all-zero
 * id or one whose string starts with '-' (it would read as a command-line flag), so neither is accepted here.
 * @returns the id, or undefined when these bytes would make an id Kafka rejects.
 */
export function clusterIdFromBytes(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 16) throw new Error(`a Kafka Uuid has 16 bytes, got ${bytes.length}`);
  if (bytes.every((b) => b === 0)) return undefined;
  const id = Buffer.from(bytes).toString('base64url');
  return id.startsWith('-') ? undefined : id;
}

/** A fresh random cluster id for `kafka-storage format -t`, equivalent to `StorageTool random-uuid`. */
export function randomClusterId(): string {
  for (;;) {
    const id = clusterIdFromBytes(randomBytes(16));
    if (id) return id;
  }
}
