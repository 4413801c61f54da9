import type { BucketInput, BucketTuple } from '../../pkg-backend/src/engine/types.ts';

let nextId = 1n;

/** A tuple with made-up ids; counts and success are what the tests care about. */
export function tuple(by: string, over: string | null = null, count = 1, successful = count): BucketTuple {
  const minId = nextId;
  nextId += BigInt(count);
  return { by, over, count, successful, minId, maxId: nextId - 1n };
}

export function bucket(
  index: number,
  spanSeconds: number,
  tuples: BucketTuple[],
  origin = Date.UTC(2026, 0, 1),
): BucketInput {
  return { start: origin + index * spanSeconds * 1000, tuples };
}

export function expectClose(actual: number, expected: number, relative = 0.01): void {
  const error = Math.abs(actual - expected) / Math.abs(expected);
  if (!(error <= relative)) {
    throw new Error(
      `expected ${actual} to be within ${relative * 100}% of ${expected} (off by ${(error * 100).toFixed(3)}%)`,
    );
  }
}
