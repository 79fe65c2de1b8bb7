// Types of lib/bridge.js, the bundle `npm run build:miniprogram` writes from ../bridge-entry.ts.
export * from '../bridge-entry';
