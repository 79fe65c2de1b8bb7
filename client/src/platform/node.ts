// The Node platform adapter: which implementation the SDK uses for each platform piece
// on Node. The wx counterparts are fsm-store.ts (file system manager) and
// entropy-pool.ts fed by wxRandomFill (wx.getRandomValues).
export { nodeRandom } from '../../../crypto/src/primitives/random';
export { openNodeStore, DIR_MODE, FILE_MODE } from '../store/node-store';
export type { NodeStoreOptions } from '../store/node-store';
