// App entry. At launch: the SDK bundles (lib/bridge.js on lib/sdk.js, written by `npm run build:miniprogram`)
// fills its entropy pool from wx.getRandomValues, opens the device store in user files,
// connects to the relay and publishes view models into lib/store; page intents go back to
// it. Pages only ever see plain view-model data.
import { RELAY_URL } from './lib/config';
import type { Intent } from './lib/intents';
import { getViewModel, onIntent, setViewModel } from './lib/store';
import type { AppViewModel } from './lib/view-model';

interface SdkModule {
  startMiniProgram(options: { relayUrl: string; publish(vm: AppViewModel): void }): Promise<{ perform(intent: Intent): Promise<void> }>;
}

function showProblem(problem: string): void {
  setViewModel({ ...getViewModel(), ready: false, problem });
}

App({
  onLaunch() {
    let sdk: SdkModule;
    try {
      // lib/bridge.js (view models, wx files, startMiniProgram) requires lib/sdk.js (crypto + SDK).
      sdk = require('./lib/bridge.js') as SdkModule;
    } catch {
      showProblem('加密组件缺失：请先运行 npm run build:miniprogram');
      return;
    }
    // Intents that arrive while the client starts wait for it.
    const queued: Intent[] = [];
    let perform: ((intent: Intent) => Promise<void>) | null = null;
    onIntent((intent) => {
      if (perform) void perform(intent);
      else queued.push(intent);
    });
    sdk.startMiniProgram({ relayUrl: RELAY_URL, publish: setViewModel }).then(
      (runtime) => {
        perform = (intent) => runtime.perform(intent);
        for (const intent of queued.splice(0)) void perform(intent);
      },
      (error: { code?: string }) =>
        showProblem(
          error && error.code === 'E2E_ERR_RANDOM_FAILED'
            ? '无法获取安全随机数，请升级微信（基础库 2.15.0 及以上）'
            : '无法启动加密客户端，请检查网络后重试',
        ),
    );
  },
});
