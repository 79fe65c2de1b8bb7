// 发起群聊: name, type (normal / private) and join policy. The SDK creates the group
// (the first log entry, keys, epoch 0) when it receives the intent.
import { inputValue } from '../../lib/connect';
import { dispatch, safeSetData } from '../../lib/store';
import type { GroupKind, JoinPolicy } from '../../lib/view-model';

export const MAX_GROUP_NAME_CHARS = 30;
const KINDS: GroupKind[] = ['normal', 'private'];
const POLICIES: JoinPolicy[] = ['invite-only', 'admin-approval', 'open-link'];

Component({
  data: {
    name: '',
    kindIndex: 0,
    kindLabels: ['普通群', '私密群'],
    policyIndex: 0,
    policyLabels: ['仅限邀请', '需管理员审批', '凭链接直接加入'],
    error: '',
    submitted: false,
  },
  methods: {
    onInputName(event: unknown) {
      safeSetData(this, { name: inputValue(event).slice(0, MAX_GROUP_NAME_CHARS), error: '' });
    },
    onChangeKind(event: unknown) {
      safeSetData(this, { kindIndex: Number((event as { detail?: { value?: unknown } }).detail?.value) === 1 ? 1 : 0 });
    },
    onChangePolicy(event: unknown) {
      const index = Number((event as { detail?: { value?: unknown } }).detail?.value);
      safeSetData(this, { policyIndex: index >= 0 && index < POLICIES.length ? index : 0 });
    },
    onTapCreate() {
      const name = this.data.name.trim();
      if (!name) {
        safeSetData(this, { error: '请输入群聊名称' });
        return;
      }
      if (this.data.submitted) return;
      dispatch({ type: 'create-group', name, kind: KINDS[this.data.kindIndex]!, joinPolicy: POLICIES[this.data.policyIndex]! });
      safeSetData(this, { submitted: true });
    },
  },
});
