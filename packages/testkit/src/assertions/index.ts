export { captureError, configurationErrorOf } from './caught-errors.js';
