import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { parseOptions } from '../config/parse-options.js';
import { Money } from '../money/money.js';
import { cohortMatches, type CohortRule, cohortRulesSchema, type CohortSubject, findCohortRule } from './cohort-rules.js';

const subject: CohortSubject = {
  amount: Money.of(5_000, 'EUR'),
  currency: 'EUR',
  country: 'DE',
  cardBrand: 'visa',
  customerSegment: 'vip',
  returningCustomer: true,
  isRenewal: false,
};

/** Parses rules like the router does; returns the ConfigurationError's option path on failure. */
function problemOf(rules: unknown): string | undefined {
  try {
    parseOptions(cohortRulesSchema, rules, { component: 'trafficRouter.cohortRules' });
    return undefined;
  } catch (error) {
    if (ConfigurationError.isInstance(error)) return `${error.option}: ${error.message}`;
    throw error;
  }
}

describe('cohort rule validation (zod)', () => {
  it('accepts every kind of condition and route', () => {
    const rules: CohortRule[] = [
      { name: 'renewals', match: { subscriptionRenewal: true }, route: 'old' },
      {
        name: 'eu-vip',
        match: { countries: ['DE', 'FR'], currencies: ['EUR'], cardBrands: ['visa'], customerSegments: ['vip'], customerType: 'returning', amount: { currency: 'EUR', minimumMinorUnits: 0, maximumMinorUnits: 10_000 } },
        route: { percent: 12.5 },
      },
      { name: 'everyone.else_1', match: {}, route: 'new' },
    ];
    expect(problemOf(rules)).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['a name with spaces', [{ name: 'eu cards', match: {}, route: 'old' }], '0.name'],
    ['a duplicate name', [{ name: 'a', match: {}, route: 'old' }, { name: 'a', match: {}, route: 'new' }], '1.name'],
    ['an unknown condition', [{ name: 'a', match: { continent: 'EU' }, route: 'old' }], '0.match'],
    ['a lower-case country', [{ name: 'a', match: { countries: ['de'] }, route: 'old' }], '0.match.countries.0'],
    ['an empty currency list', [{ name: 'a', match: { currencies: [] }, route: 'old' }], '0.match.currencies'],
    ['an unknown brand', [{ name: 'a', match: { cardBrands: ['visa-electron'] }, route: 'old' }], '0.match.cardBrands.0'],
    ['an inverted amount range', [{ name: 'a', match: { amount: { currency: 'EUR', minimumMinorUnits: 10, maximumMinorUnits: 5 } }, route: 'old' }], '0.match.amount'],
    ['a fractional amount', [{ name: 'a', match: { amount: { currency: 'EUR', minimumMinorUnits: 1.5 } }, route: 'old' }], '0.match.amount.minimumMinorUnits'],
    ['a percentage above 100', [{ name: 'a', match: {}, route: { percent: 101 } }], '0.route'],
    ['a percentage with 4 decimals', [{ name: 'a', match: {}, route: { percent: 1.2345 } }], '0.route'],
    ['an unknown route', [{ name: 'a', match: {}, route: 'both' }], '0.route'],
  ])('refuses %s, naming the field', (_label, rules, path) => {
    expect(problemOf(rules)).toContain(`trafficRouter.cohortRules.${path}`);
  });
});

describe('cohortMatches', () => {
  it('matches an empty condition set (catch-all)', () => {
    expect(cohortMatches({}, subject)).toBe(true);
  });

  it('ANDs conditions and ORs the values of one list', () => {
    expect(cohortMatches({ countries: ['FR', 'DE'], currencies: ['EUR'] }, subject)).toBe(true);
    expect(cohortMatches({ countries: ['FR'], currencies: ['EUR'] }, subject)).toBe(false);
    expect(cohortMatches({ currencies: ['USD'] }, subject)).toBe(false);
    expect(cohortMatches({ cardBrands: ['amex'] }, subject)).toBe(false);
    expect(cohortMatches({ customerSegments: ['b2b'] }, subject)).toBe(false);
    expect(cohortMatches({ customerSegments: ['vip'] }, subject)).toBe(true);
  });

  it('never matches a condition on a field the request does not carry', () => {
    const bare: CohortSubject = { amount: Money.of(100, 'EUR'), currency: 'EUR' };
    expect(cohortMatches({ countries: ['DE'] }, bare)).toBe(false);
    expect(cohortMatches({ cardBrands: ['visa'] }, bare)).toBe(false);
    expect(cohortMatches({ customerSegments: ['vip'] }, bare)).toBe(false);
    expect(cohortMatches({ customerType: 'new' }, bare)).toBe(false);
    expect(cohortMatches({ customerType: 'returning' }, bare)).toBe(false);
    // A missing isRenewal is a customer-initiated payment.
    expect(cohortMatches({ subscriptionRenewal: false }, bare)).toBe(true);
    expect(cohortMatches({ subscriptionRenewal: true }, bare)).toBe(false);
  });

  it('tells new from returning customers and renewals from checkouts', () => {
    expect(cohortMatches({ customerType: 'returning' }, subject)).toBe(true);
    expect(cohortMatches({ customerType: 'new' }, subject)).toBe(false);
    expect(cohortMatches({ customerType: 'new' }, { ...subject, returningCustomer: false })).toBe(true);
    expect(cohortMatches({ subscriptionRenewal: true }, { ...subject, isRenewal: true })).toBe(true);
  });

  it('matches an amount range in its own currency only, bounds included', () => {
    const range = { currency: 'EUR', minimumMinorUnits: 5_000, maximumMinorUnits: 10_000 };
    expect(cohortMatches({ amount: range }, subject)).toBe(true);
    expect(cohortMatches({ amount: range }, { ...subject, amount: Money.of(10_000, 'EUR') })).toBe(true);
    expect(cohortMatches({ amount: range }, { ...subject, amount: Money.of(4_999, 'EUR') })).toBe(false);
    expect(cohortMatches({ amount: range }, { ...subject, amount: Money.of(10_001, 'EUR') })).toBe(false);
    expect(cohortMatches({ amount: range }, { ...subject, amount: Money.of(5_000, 'USD'), currency: 'USD' })).toBe(false);
    expect(cohortMatches({ amount: { currency: 'EUR' } }, subject)).toBe(true);
  });
});

describe('findCohortRule', () => {
  const rules: CohortRule[] = [
    { name: 'renewals', match: { subscriptionRenewal: true }, route: 'old' },
    { name: 'germany', match: { countries: ['DE'] }, route: { percent: 50 } },
    { name: 'vip', match: { customerSegments: ['vip'] }, route: 'new' },
  ];

  it('evaluates in order: the first match wins', () => {
    expect(findCohortRule(rules, subject)?.name).toBe('germany');
    expect(findCohortRule(rules, { ...subject, isRenewal: true })?.name).toBe('renewals');
    expect(findCohortRule(rules, { ...subject, country: 'FR' })?.name).toBe('vip');
  });

  it('is undefined when nothing matches', () => {
    expect(findCohortRule(rules, { ...subject, country: 'FR', customerSegment: 'b2b' })).toBeUndefined();
    expect(findCohortRule([], subject)).toBeUndefined();
  });
});
