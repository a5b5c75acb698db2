import { describe, expect, it } from 'vitest';
import {
  chiSquareOneDegreeSurvival,
  complementaryErrorFunction,
  differenceInterval,
  inverseStandardNormalCumulative,
  mixtureSequentialProbabilityRatio,
  normalCriticalValue,
  sampleRatioMismatch,
  standardNormalCumulative,
  wilsonInterval,
} from './statistics-math.js';

/** Relative difference, for checks against tabulated values. */
function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe('complementaryErrorFunction', () => {
  // Reference values: Abramowitz & Stegun table 7.1 / math.erfc in CPython (correctly rounded libm).
  it.each([
    [0, 1],
    [0.5, 0.4795001221869535],
    [1, 0.157299207050285],
    [2, 0.004677734981047265],
    [3, 2.2090496998585438e-5],
    [-1, 1.842700792949715],
  ])('erfc(%d) is within 1.2e-7 relative of %d', (value, expected) => {
    expect(relativeError(complementaryErrorFunction(value), expected)).toBeLessThan(1.2e-7);
  });
});

describe('standardNormalCumulative and its inverse', () => {
  it.each([
    [0, 0.5],
    [1.959963984540054, 0.975],
    [-3, 0.0013498980316301035],
    [2.5758293035489, 0.995],
  ])('Φ(%d) = %d', (value, expected) => {
    expect(relativeError(standardNormalCumulative(value), expected)).toBeLessThan(1.2e-7);
  });

  it.each([
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.995, 2.5758293035489],
    [0.001, -3.090232306167813],
    [0.9999, 3.7190164854557084],
    [0.02, -2.053748910631823],
  ])('Φ⁻¹(%d) = %d (Acklam, relative error < 1.15e-9)', (probability, expected) => {
    const actual = inverseStandardNormalCumulative(probability);
    if (expected === 0) expect(Math.abs(actual)).toBeLessThan(1e-12);
    else expect(relativeError(actual, expected)).toBeLessThan(1.2e-9);
  });

  it.each([0, 1, -0.1, Number.NaN])('refuses probability %d', (probability) => {
    expect(() => inverseStandardNormalCumulative(probability)).toThrow(RangeError);
  });

  it('gives the two-sided critical values of common confidence levels', () => {
    expect(normalCriticalValue(0.95)).toBeCloseTo(1.959964, 6);
    expect(normalCriticalValue(0.99)).toBeCloseTo(2.575829, 6);
    expect(() => normalCriticalValue(1)).toThrow(RangeError);
  });
});

describe('chiSquareOneDegreeSurvival', () => {
  it.each([
    [3.841458820694124, 0.05],
    [6.634896601021214, 0.01],
    [10.827566170662733, 0.001],
  ])('P(chi-square(1) > %d) = %d (tabulated critical values)', (value, expected) => {
    expect(relativeError(chiSquareOneDegreeSurvival(value), expected)).toBeLessThan(1e-6);
  });

  it('is 1 at and below zero', () => {
    expect(chiSquareOneDegreeSurvival(0)).toBe(1);
    expect(chiSquareOneDegreeSurvival(-2)).toBe(1);
  });
});

describe('wilsonInterval', () => {
  it('matches the textbook interval of 8 successes out of 10 (0.4902, 0.9433)', () => {
    const interval = wilsonInterval({ successes: 8, trials: 10 });
    expect(interval.estimate).toBe(0.8);
    expect(interval.lower).toBeCloseTo(0.4901624715, 8);
    expect(interval.upper).toBeCloseTo(0.9433178485, 8);
  });

  it('stays inside [0, 1] at the edges and is [0, 1] without trials', () => {
    expect(wilsonInterval({ successes: 0, trials: 20 }).lower).toBe(0);
    expect(wilsonInterval({ successes: 20, trials: 20 }).upper).toBe(1);
    expect(wilsonInterval({ successes: 0, trials: 0 })).toEqual({ estimate: undefined, lower: 0, upper: 1 });
  });
});

describe('differenceInterval', () => {
  it('is the Wald interval of the difference', () => {
    const interval = differenceInterval({ successes: 850, trials: 1000 }, { successes: 920, trials: 1000 }) as { estimate: number; lower: number; upper: number };
    expect(interval.estimate).toBeCloseTo(-0.07, 12);
    const halfWidth = 1.959963984540054 * Math.sqrt((0.85 * 0.15) / 1000 + (0.92 * 0.08) / 1000);
    expect(interval.lower).toBeCloseTo(-0.07 - halfWidth, 9);
    expect(interval.upper).toBeCloseTo(-0.07 + halfWidth, 9);
  });

  it('is undefined when an arm is empty', () => {
    expect(differenceInterval({ successes: 0, trials: 0 }, { successes: 1, trials: 2 })).toBeUndefined();
    expect(differenceInterval({ successes: 1, trials: 2 }, { successes: 0, trials: 0 })).toBeUndefined();
  });
});

describe('mixtureSequentialProbabilityRatio', () => {
  it('computes Λ = √(V/(V+τ²)) exp(τ²Δ²/(2V(V+τ²))) with the larger variance estimate (values computed independently)', () => {
    // 85 % vs 92 % over 1,000 each: pooled variance 2.0355e-4 exceeds the unpooled 2.011e-4.
    const strong = mixtureSequentialProbabilityRatio({ successes: 850, trials: 1000 }, { successes: 920, trials: 1000 }, 0.0025);
    expect(strong?.variance).toBeCloseTo(0.00020355, 10);
    expect(relativeError(strong?.likelihoodRatio as number, 18712.258794399087)).toBeLessThan(1e-9);
    expect(strong?.pValue).toBeCloseTo(1 / 18712.258794399087, 12);
    // Rare events, unbalanced arms: the unpooled variance is the larger one.
    const rare = mixtureSequentialProbabilityRatio({ successes: 5, trials: 200 }, { successes: 1, trials: 1000 }, 0.0025);
    expect(rare?.variance).toBeCloseTo(0.000122874, 12);
    expect(relativeError(rare?.likelihoodRatio as number, 2.02107183005629)).toBeLessThan(1e-9);
  });

  it('gives no evidence when both variances are zero, and no result for an empty arm', () => {
    expect(mixtureSequentialProbabilityRatio({ successes: 0, trials: 50 }, { successes: 0, trials: 80 }, 0.0025)).toEqual({
      difference: 0,
      variance: 0,
      logLikelihoodRatio: 0,
      likelihoodRatio: 1,
      pValue: 1,
    });
    expect(mixtureSequentialProbabilityRatio({ successes: 0, trials: 0 }, { successes: 1, trials: 2 }, 0.0025)).toBeUndefined();
  });

  it('stays defined (pooled variance) when one arm is degenerate: every attempt failed', () => {
    const outage = mixtureSequentialProbabilityRatio({ successes: 200, trials: 200 }, { successes: 0, trials: 200 }, 0.0025);
    expect(outage?.likelihoodRatio).toBeGreaterThan(1e40);
    expect(outage?.pValue).toBeLessThan(1e-40);
    // So large that Λ overflows: log Λ stays finite and the p-value is 0.
    const huge = mixtureSequentialProbabilityRatio({ successes: 100_000, trials: 100_000 }, { successes: 0, trials: 100_000 }, 0.0025);
    expect(huge?.likelihoodRatio).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isFinite(huge?.logLikelihoodRatio)).toBe(true);
    expect(huge?.pValue).toBe(0);
  });

  it('is at most 1 for identical arms (the mixture never favours a difference that is not there)', () => {
    const same = mixtureSequentialProbabilityRatio({ successes: 900, trials: 1000 }, { successes: 900, trials: 1000 }, 0.0025);
    expect(same?.likelihoodRatio).toBeLessThan(1);
    expect(same?.pValue).toBe(1);
  });
});

describe('sampleRatioMismatch', () => {
  it('computes Pearson chi-square and its p-value (5,200 vs 4,800 at 50 %: chi-square 16, p = 6.33e-5)', () => {
    const result = sampleRatioMismatch({ treatment: 5200, control: 4800 }, 0.5);
    expect(result.chiSquare).toBeCloseTo(16, 12);
    expect(relativeError(result.pValue, 6.334248366623977e-5)).toBeLessThan(1e-6);
    expect(result.observedTreatmentShare).toBe(0.52);
  });

  it('has p = 1 without assignments and refuses a share outside (0, 1)', () => {
    expect(sampleRatioMismatch({ treatment: 0, control: 0 }, 0.1)).toEqual({ observedTreatmentShare: undefined, expectedTreatmentShare: 0.1, chiSquare: 0, pValue: 1 });
    expect(() => sampleRatioMismatch({ treatment: 1, control: 1 }, 0)).toThrow(RangeError);
    expect(() => sampleRatioMismatch({ treatment: 1, control: 1 }, 1)).toThrow(RangeError);
  });
});
