import { z } from 'zod';
import { cardBrands, type CardBrand } from '../ports/shared/v1/card.js';
import { rolloutThreshold } from './rollout-bucket.js';
import type { RoutingRequest } from './routing-types.js';

/** Where a cohort goes: always the old provider, always the new one, or a percentage split of its own. */
export type CohortRoute = 'old' | 'new' | { readonly percent: number };

/** An amount range in one currency, in minor units, both bounds included. */
export interface CohortAmountRange {
  /** ISO 4217 code; payments in another currency do not match. */
  readonly currency: string;
  /** Smallest matching amount, minor units (included). @default no lower bound */
  readonly minimumMinorUnits?: number | undefined;
  /** Largest matching amount, minor units (included). @default no upper bound */
  readonly maximumMinorUnits?: number | undefined;
}

/**
 * What a payment must have for a rule to match. Every given condition must hold (AND); a list
 * matches any of its values (OR). A condition on a field the request does not carry never
 * matches (an unknown country is not "any country"). An empty `match` matches every payment.
 */
export interface CohortMatch {
  /** Customer countries (ISO 3166-1 alpha-2). */
  readonly countries?: readonly string[] | undefined;
  /** Payment currencies (ISO 4217). */
  readonly currencies?: readonly string[] | undefined;
  /** Card brands. */
  readonly cardBrands?: readonly CardBrand[] | undefined;
  /** Amount range in one currency. */
  readonly amount?: CohortAmountRange | undefined;
  /** Customer segments. */
  readonly customerSegments?: readonly string[] | undefined;
  /** New (first purchase) or returning customers. */
  readonly customerType?: 'new' | 'returning' | undefined;
  /** Subscription renewals (true) or customer-initiated payments (false). */
  readonly subscriptionRenewal?: boolean | undefined;
}

/** A cohort rule: evaluated in order, the first that matches decides. */
export interface CohortRule {
  /**
   * Stable name (letters, digits, `_`, `.`, `-`; up to 64): reported as the cohort in metrics and
   * statistics, and part of the salt of a percentage route, so renaming a rule re-buckets its cohort.
   */
  readonly name: string;
  /** The conditions. */
  readonly match: CohortMatch;
  /** Where matching payments go. */
  readonly route: CohortRoute;
}

const upperCaseCode = (length: number, what: string) =>
  z
    .string()
    .regex(new RegExp(`^[A-Z]{${length}}$`), `must be an upper-case ${what}`)
    .meta({ fix: `use upper-case ${what}s, e.g. ${length === 2 ? "'DE'" : "'EUR'"}` });

const nonEmptyList = <Item extends z.ZodType>(item: Item) => z.array(item).min(1, 'must list at least one value (leave the condition out to match any)');

const minorUnitsSchema = z.number().int().nonnegative();

const amountRangeSchema = z
  .strictObject({
    currency: upperCaseCode(3, 'ISO 4217 code'),
    minimumMinorUnits: minorUnitsSchema.optional(),
    maximumMinorUnits: minorUnitsSchema.optional(),
  })
  .refine((range) => range.minimumMinorUnits === undefined || range.maximumMinorUnits === undefined || range.minimumMinorUnits <= range.maximumMinorUnits, {
    message: 'minimumMinorUnits must not exceed maximumMinorUnits',
  });

const matchSchema = z.strictObject({
  countries: nonEmptyList(upperCaseCode(2, 'ISO 3166-1 alpha-2 code')).optional(),
  currencies: nonEmptyList(upperCaseCode(3, 'ISO 4217 code')).optional(),
  cardBrands: nonEmptyList(z.enum(cardBrands)).optional(),
  amount: amountRangeSchema.optional(),
  customerSegments: nonEmptyList(z.string().min(1)).optional(),
  customerType: z.enum(['new', 'returning']).optional(),
  subscriptionRenewal: z.boolean().optional(),
});

const percentRouteSchema = z.strictObject({
  percent: z.number().refine(
    (percent) => {
      try {
        rolloutThreshold(percent);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be a number from 0 to 100 with at most 3 decimals' },
  ),
});

const ruleSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, _ . - (starting with a letter or digit)')
    .meta({ fix: "name the rule like 'eu-cards' or 'vip_customers'" }),
  match: matchSchema.meta({ fix: 'pass { countries?, currencies?, cardBrands?, amount?, customerSegments?, customerType?, subscriptionRenewal? }' }),
  route: z.union([z.literal('old'), z.literal('new'), percentRouteSchema]).meta({ fix: "route to 'old', 'new' or { percent: 0..100 }" }),
});

/** The zod schema of a cohort rule list: names must be unique. */
export const cohortRulesSchema = z.array(ruleSchema).superRefine((rules, context) => {
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    if (seen.has(rule.name)) context.addIssue({ code: 'custom', path: [index, 'name'], message: `'${rule.name}' is used by an earlier rule; names must be unique` });
    seen.add(rule.name);
  });
});

/** The parts of a request a cohort rule looks at. */
export type CohortSubject = Pick<RoutingRequest, 'country' | 'currency' | 'cardBrand' | 'amount' | 'customerSegment' | 'returningCustomer' | 'isRenewal'>;

/** Whether an optional list condition holds for `value`. */
function listHolds<Value>(allowed: readonly Value[] | undefined, value: Value | undefined): boolean {
  return allowed === undefined || (value !== undefined && allowed.includes(value));
}

/** Whether the amount condition holds. */
function amountHolds(range: CohortAmountRange | undefined, subject: CohortSubject): boolean {
  if (range === undefined) return true;
  if (subject.amount.currency !== range.currency) return false;
  const minorUnits = subject.amount.minorUnits;
  if (range.minimumMinorUnits !== undefined && minorUnits < BigInt(range.minimumMinorUnits)) return false;
  return range.maximumMinorUnits === undefined || minorUnits <= BigInt(range.maximumMinorUnits);
}

/** True when every condition of `match` holds for `subject`. */
export function cohortMatches(match: CohortMatch, subject: CohortSubject): boolean {
  if (!listHolds(match.countries, subject.country)) return false;
  if (!listHolds(match.currencies, subject.currency)) return false;
  if (!listHolds(match.cardBrands, subject.cardBrand)) return false;
  if (!amountHolds(match.amount, subject)) return false;
  if (!listHolds(match.customerSegments, subject.customerSegment)) return false;
  if (match.customerType !== undefined) {
    if (subject.returningCustomer === undefined || subject.returningCustomer !== (match.customerType === 'returning')) return false;
  }
  return match.subscriptionRenewal === undefined || (subject.isRenewal ?? false) === match.subscriptionRenewal;
}

/** The first rule that matches, in order; `undefined` when none does. */
export function findCohortRule(rules: readonly CohortRule[], subject: CohortSubject): CohortRule | undefined {
  for (const rule of rules) {
    if (cohortMatches(rule.match, subject)) return rule;
  }
  return undefined;
}
