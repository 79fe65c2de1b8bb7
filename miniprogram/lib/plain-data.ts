// Guard for setData: the render layer may only ever see plain, JSON-safe data.
// Keys, BigInt and byte arrays must never cross; this check makes a mistake loud.

const MAX_DEPTH = 32;

/** Path of the first value that is not plain data, or null when everything is plain. */
export function findNonPlainValue(value: unknown, path = 'data', depth = 0): string | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : path;
    case 'object': {
      if (depth > MAX_DEPTH) return path;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const bad = findNonPlainValue(value[i], `${path}[${i}]`, depth + 1);
          if (bad) return bad;
        }
        return null;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return path;
      for (const key of Object.keys(value)) {
        const bad = findNonPlainValue((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
        if (bad) return bad;
      }
      return null;
    }
    default:
      // bigint, undefined, function, symbol
      return path;
  }
}

/** Throws a TypeError naming the path (never the value) when `data` is not plain. */
export function assertPlainData(data: unknown): void {
  const bad = findNonPlainValue(data);
  if (bad) throw new TypeError(`setData refused: "${bad}" is not plain data (no keys, BigInt, byte arrays or objects with classes)`);
}
