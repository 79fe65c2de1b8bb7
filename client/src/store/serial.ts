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
