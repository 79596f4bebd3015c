// Typed columns that grow (journal rows, result briefs, a folder's entries in main and in the
// page): a longer array of the same kind with the old values at its start.

type Column = Float64Array | Uint32Array | Int32Array | Uint8Array;

/** `from` copied into a new array of the same kind with room for `capacity` values. */
export function grownTo<A extends Column>(from: A, capacity: number): A {
  const to = new (from.constructor as new (length: number) => A)(capacity);
  to.set(from);
  return to;
}
