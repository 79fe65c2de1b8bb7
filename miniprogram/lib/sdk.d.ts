// Types of lib/sdk.js, the bundle `npm run build:miniprogram` writes from ../sdk-entry.ts.
export * from '../sdk-entry';
