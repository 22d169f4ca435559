/**
 * Jest runs each test file in its own VM context, so typed arrays made there are not
 * `instanceof` the typed-array classes of the main realm, and vice versa. onnxruntime-node's
 * native binding returns main-realm arrays and its JS wrapper checks them against the
 * sandbox's classes. Sharing the main realm's typed-array and Buffer classes fixes both ways.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Buffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class SharedTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = SharedTypedArrayEnvironment;
