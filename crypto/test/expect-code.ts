// Test helper: asserts that `fn` throws an E2eeError with exactly `code`.
import { expect } from 'vitest';
import { isE2eeError } from '../src/errors';

export function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isE2eeError(thrown), `expected E2eeError ${code}, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
}
