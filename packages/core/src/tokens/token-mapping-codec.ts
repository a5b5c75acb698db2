import type { TokenMapping } from './token-mapping.js';

/** Version tag of the compact encoding. */
const codecVersion = 1;

type Nullable<Value> = Value | null;

/**
 * A mapping as a positional JSON array: about half the bytes of the object form, which halves the
 * AES-GCM work and the PCI guard's scan of each vault record (a million of them per import).
 */
type EncodedMapping = [
  version: number,
  customerId: string,
  sourceProvider: string,
  sourceToken: string,
  sourceCustomer: string,
  targetProvider: Nullable<string>,
  targetToken: Nullable<string>,
  targetCustomer: Nullable<string>,
  brand: string,
  last4: string,
  expiryMonth: number,
  expiryYear: number,
  fingerprint: Nullable<string>,
  funding: Nullable<string>,
  issuingCountry: Nullable<string>,
  networkTransactionId: Nullable<string>,
  status: string,
  failureReason: Nullable<string>,
  failureDetail: Nullable<string>,
  origin: string,
  importId: Nullable<string>,
  row: Nullable<number>,
  verification: Nullable<[status: string, declineReason: Nullable<string>, verifiedAt: number]>,
  createdAt: number,
  updatedAt: number,
];

/** Encodes a mapping compactly (see `EncodedMapping`). */
export function encodeMapping(mapping: TokenMapping): string {
  const { card, target, verification } = mapping;
  const encoded: EncodedMapping = [
    codecVersion,
    mapping.customerId,
    mapping.source.provider,
    mapping.source.token,
    mapping.source.customerReference,
    target?.provider ?? null,
    target?.token ?? null,
    target?.customerReference ?? null,
    card.brand,
    card.last4,
    card.expiryMonth,
    card.expiryYear,
    card.fingerprint ?? null,
    card.funding ?? null,
    card.issuingCountry ?? null,
    mapping.networkTransactionId ?? null,
    mapping.status,
    mapping.failureReason ?? null,
    mapping.failureDetail ?? null,
    mapping.origin,
    mapping.importId ?? null,
    mapping.row ?? null,
    verification === undefined ? null : [verification.status, verification.declineReason ?? null, verification.verifiedAt],
    mapping.createdAt,
    mapping.updatedAt,
  ];
  return JSON.stringify(encoded);
}

function present<Value>(value: Nullable<Value> | undefined): Value | undefined {
  return value === null ? undefined : value;
}

/**
 * Decodes `encodeMapping`'s text into the object form (not validated here: the vault validates the
 * result with its schema). Members that were absent stay absent.
 */
export function decodeMapping(text: string): unknown {
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed) || parsed[0] !== codecVersion || parsed.length !== 25) return parsed;
  const value = parsed as EncodedMapping;
  const withoutAbsent = (object: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(object).filter(([, member]) => member !== undefined));
  return withoutAbsent({
    customerId: value[1],
    source: { provider: value[2], token: value[3], customerReference: value[4] },
    target: value[5] === null ? undefined : { provider: value[5], token: value[6], customerReference: value[7] },
    card: withoutAbsent({
      brand: value[8],
      last4: value[9],
      expiryMonth: value[10],
      expiryYear: value[11],
      fingerprint: present(value[12]),
      funding: present(value[13]),
      issuingCountry: present(value[14]),
    }),
    networkTransactionId: present(value[15]),
    status: value[16],
    failureReason: present(value[17]),
    failureDetail: present(value[18]),
    origin: value[19],
    importId: present(value[20]),
    row: present(value[21]),
    verification: value[22] === null ? undefined : withoutAbsent({ status: value[22][0], declineReason: present(value[22][1]), verifiedAt: value[22][2] }),
    createdAt: value[23],
    updatedAt: value[24],
  });
}
