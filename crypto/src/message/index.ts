// Sender chains and group message protection (docs/PROTOCOL.md Part II).
export * from './errors';
export { initialChainKey, messageKeyNonce, nextChainKey, senderChainContext, KEY_NONCE_BYTES } from './chain';
export { compareBytes, indexOfMember, sortMembers } from './members';
export { startEpoch, pruneReceiverState, type EpochInput, type EpochStates, type StartEpochOptions } from './session';
export {
  decodeReceiverState,
  decodeSenderState,
  encodeReceiverState,
  encodeSenderState,
  MESSAGE_STATE_VERSION,
  REVOKED,
  type ChainSlot,
  type EpochChains,
  type MessageMember,
  type ReceiverState,
  type ReceivingChain,
  type SenderState,
  type SkippedKey,
} from './state';
export { encryptGroupMessage, messageSignatureInput, reserveSenderState, MAX_SENDER_RESERVATION, type EncryptOptions, type PreparedGroupMessage } from './encrypt';
export { decryptGroupMessage, type DecryptedGroupMessage, type DecryptOptions } from './decrypt';
