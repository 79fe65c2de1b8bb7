// Types of lib/sdk.js (crypto + SDK), the bundle `npm run build:miniprogram` writes from ../sdk-entry.ts.
export * from '../sdk-entry';
