export { decodeProtobufBody, decodeProtobufMessage } from './decode.js';
export { encodeProtobufObject } from './encode.js';
export { k8sSchema, protobufMagic } from './schema.js';
