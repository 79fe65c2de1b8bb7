// Attachment streams (docs/PROTOCOL.md Part II, "Attachments").
export * from './stream';
export {
  ATTACHMENT_KIND,
  MAX_ATTACHMENT_BYTES,
  decodeAttachmentPointer,
  encodeAttachmentPointer,
  type AttachmentKind,
  type AttachmentPointer,
} from '../wire/attachment';
export { detectImageFormat, stripImageMetadata, UNSUPPORTED_IMAGE, type ImageFormat, type StrippedImage } from './image-metadata';
