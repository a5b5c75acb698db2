export { adyenCsvFormat } from './adyen-csv-format.js';
export { normalizeCardBrand } from './card-brand-names.js';
export { genericCsvColumns, genericCsvFormat, genericCsvOptionalColumns } from './generic-csv-format.js';
export { type MappingFileFormat, type MappingFileRow } from './mapping-file-row.js';
export { stripeJsonFormat } from './stripe-json-format.js';
