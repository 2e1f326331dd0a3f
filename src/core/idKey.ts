import { isLossyId, type JsonRpcId } from './jsonRpc.js';

/**
 * What an open request is tracked under: strings and exact numbers by value; a number JSON.parse
 * rounds (beyond 2^53) by the exact integer its raw token spells, as a bigint, so
 * `9007199254740993` and `9007199254740992` stay two requests. Other lossy tokens (`1e400`,
 * fractions) fall back to their parsed value.
 */
export type IdKey = string | number | bigint;

const INTEGER = /^-?\d+$/;

/** The key of `id`; `rawId` is its JSON text, used only when {@link isLossyId} holds. */
export function idKey(id: JsonRpcId, rawId: string | undefined): IdKey {
  return rawId !== undefined && isLossyId(id) && INTEGER.test(rawId) ? BigInt(rawId) : id;
}

/**
 * The entry `id` answers in `table`. A lossy id is matched by its raw text when there is one,
 * else (or when that misses) by the rounded value: a peer that parsed the id with JSON.parse
 * answers with that.
 */
export function findById<T extends { id: JsonRpcId }>(table: ReadonlyMap<IdKey, T>, id: JsonRpcId, rawId: string | undefined): T | undefined {
  if (!isLossyId(id)) return table.get(id);
  const exact = rawId === undefined ? undefined : table.get(idKey(id, rawId));
  if (exact !== undefined) return exact;
  for (const entry of table.values()) if (entry.id === id) return entry;
  return undefined;
}
