// Attachment streams (docs/protocol-messages.md, "Attachments").
export * from './stream';
export {
  ATTACHMENT_KIND,
  MAX_ATTACHMENT_BYTES,
  decodeAttachmentPointer,
  encodeAttachmentPointer,
  type AttachmentKind,
  type AttachmentPointer,
} from '../wire/attachment';
