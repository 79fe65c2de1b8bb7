// Runs asynchronous operations one at a time, in call order (a store's writes must not
// interleave: two appends to one log, or a rename racing a read).
export type Serial = <T>(operation: () => Promise<T>) => Promise<T>;

export function createSerial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(operation: () => Promise<T>): Promise<T> => {
    const result = tail.then(operation);
    tail = result.catch(() => undefined);
    return result;
  };
}

/**
 * Per-key ordering for a store: operations on one key run one at a time in call order,
 * operations on different keys overlap (a cursor write does not hold up a history append);
 * an exclusive operation (a listing, close) runs alone, after everything called before it
 * and before everything called after it.
 */
export interface KeyedSerial {
  run<T>(key: string, operation: () => Promise<T>): Promise<T>;
  exclusive<T>(operation: () => Promise<T>): Promise<T>;
}

export function createKeyedSerial(): KeyedSerial {
  const settle = (p: Promise<unknown>): Promise<void> => p.then(
    () => undefined,
    () => undefined,
  );
  /** The last operation called on each key since the last exclusive one (settled, never rejects). */
  const tails = new Map<string, Promise<void>>();
  let barrier: Promise<void> = Promise.resolve();
  return {
    run<T>(key: string, operation: () => Promise<T>): Promise<T> {
      const result = (tails.get(key) ?? barrier).then(operation);
      const tail = settle(result);
      tails.set(key, tail);
      // Forget a key once its last operation is done: the map holds only keys in use.
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    exclusive<T>(operation: () => Promise<T>): Promise<T> {
      const result = Promise.all([barrier, ...tails.values()]).then(operation);
      barrier = settle(result);
      tails.clear();
      return result;
    },
  };
}
