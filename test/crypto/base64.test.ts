import { describeBase64 } from './support/base64-suite.js'

describeBase64('Node')
