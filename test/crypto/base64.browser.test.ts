import { describeBase64 } from './support/base64-suite.js'

// In browsers with Uint8Array.fromBase64/toBase64 the native path runs.
describeBase64('browser')
