export { brandOfCardNumber, isPrimaryAccountNumber, maskCardNumber, panLengthRange, passesLuhnCheck } from './card-number.js';
export { SensitiveDataError } from './sensitive-data-error.js';
export { assertNoSensitiveData, guardJournal } from './sensitive-data-guard.js';
export {
  findSensitiveData,
  findSensitiveDataInText,
  redactSensitiveData,
  redactSensitiveText,
  type SensitiveDataFinding,
  type SensitiveDataKind,
  type SensitiveDataScanOptions,
} from './sensitive-data-scanner.js';
