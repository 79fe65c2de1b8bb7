// App entry. At launch: fill the entropy pool from wx.getRandomValues and build the
// crypto primitives (lib/sdk.js, written by `npm run build:miniprogram`). The SDK proper
// (keys, groups, sync) joins here later and fills the view model through lib/store.
import { getViewModel, setViewModel } from './lib/store';

interface SdkModule {
  startCrypto(options?: { poolCapacity?: number }): Promise<unknown>;
}

App({
  onLaunch() {
    let sdk: SdkModule;
    try {
      sdk = require('./lib/sdk.js') as SdkModule;
    } catch {
      setViewModel({ ...getViewModel(), problem: '加密组件缺失：请先运行 npm run build:miniprogram' });
      return;
    }
    sdk.startCrypto().then(
      () => setViewModel({ ...getViewModel(), ready: true, problem: '' }),
      () => setViewModel({ ...getViewModel(), ready: false, problem: '无法获取安全随机数，请升级微信（基础库 2.15.0 及以上）' }),
    );
  },
});
