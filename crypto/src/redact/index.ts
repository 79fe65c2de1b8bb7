// PII redaction before upload (docs/REDACTION.md). Pure, deterministic, no I/O.
export { redact, compilePolicy, redactCompiled, type CompiledPolicy, type RedactOptions } from './redact';
export { createRedactionStream, type RedactionStream } from './stream';
export { restore, deriveToken, TOKEN_PATTERN, type HmacSha256 } from './token';
export {
  BAD_POLICY,
  FLOOR_TYPES,
  decodePolicy,
  decodePolicyBytes,
  defaultPolicy,
  encodePolicy,
  encodePolicyBytes,
  type RedactionPolicy,
} from './policy';
export { ENTITY_TYPES, ENTITY_LABELS, type Action, type EntityType, type Finding, type RedactionResult, type RestoreMap } from './types';
