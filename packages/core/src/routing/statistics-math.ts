/**
 * The few statistical formulas the traffic router needs, implemented from their published
 * definitions (no statistics library is installed in core; these are small and tested against
 * tabulated values).
 */

/** Successes out of trials: one arm's observations of a binary outcome (authorized, failed with an error, ...). */
export interface ProportionSample {
  /** How many trials had the outcome. */
  readonly successes: number;
  /** How many trials were observed. */
  readonly trials: number;
}

/** A point estimate with a two-sided confidence interval. */
export interface IntervalEstimate {
  /** The point estimate; `undefined` when there is no observation. */
  readonly estimate: number | undefined;
  /** Lower bound of the interval. */
  readonly lower: number;
  /** Upper bound of the interval. */
  readonly upper: number;
}

/** Evaluates a polynomial with coefficients from the highest power down (Horner). */
function horner(coefficients: readonly number[], value: number): number {
  let result = 0;
  for (const coefficient of coefficients) result = result * value + coefficient;
  return result;
}

/** Coefficients of the Numerical Recipes `erfcc` Chebyshev fit, highest power first. */
const complementaryErrorCoefficients = [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223] as const;

/**
 * The complementary error function erfc(x) = 1 - erf(x), by the Chebyshev fit of Press, Teukolsky,
 * Vetterling and Flannery, "Numerical Recipes" (2nd ed., 1992), section 6.2 (`erfcc`): fractional
 * error below 1.2e-7 everywhere, so tail probabilities such as 0.001 keep their relative precision.
 */
export function complementaryErrorFunction(value: number): number {
  const absolute = Math.abs(value);
  const scaled = 1 / (1 + 0.5 * absolute);
  const polynomial = horner(complementaryErrorCoefficients, scaled);
  const result = scaled * Math.exp(-absolute * absolute + polynomial);
  return value >= 0 ? result : 2 - result;
}

/** Φ(x): the probability that a standard normal variable is at most `value`, as 0.5 · erfc(-x / √2). */
export function standardNormalCumulative(value: number): number {
  return 0.5 * complementaryErrorFunction(-value / Math.SQRT2);
}

/** Coefficients of Acklam's rational approximation of the normal quantile. */
const quantileCentral = {
  numerator: [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239],
  denominator: [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1],
} as const;
const quantileTail = {
  numerator: [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783],
  denominator: [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416],
} as const;


/**
 * Φ⁻¹(p): the standard normal quantile, by Peter J. Acklam's rational approximation ("An algorithm
 * for computing the inverse normal cumulative distribution function", 2003): relative error below
 * 1.15e-9 on (0, 1).
 *
 * @throws RangeError when `probability` is not strictly between 0 and 1.
 */
export function inverseStandardNormalCumulative(probability: number): number {
  if (!(probability > 0 && probability < 1)) throw new RangeError(`the normal quantile needs a probability strictly between 0 and 1, got ${probability}`);
  const lowRegion = 0.02425;
  if (probability < lowRegion || probability > 1 - lowRegion) {
    const tail = probability < lowRegion ? probability : 1 - probability;
    const root = Math.sqrt(-2 * Math.log(tail));
    const value = horner(quantileTail.numerator, root) / (horner(quantileTail.denominator, root) * root + 1);
    return probability < lowRegion ? value : -value;
  }
  const centered = probability - 0.5;
  const squared = centered * centered;
  return (horner(quantileCentral.numerator, squared) * centered) / (horner(quantileCentral.denominator, squared) * squared + 1);
}

/**
 * P(X > value) for a chi-square variable with one degree of freedom: X is the square of a standard
 * normal variable, so the tail is erfc(√(value / 2)).
 */
export function chiSquareOneDegreeSurvival(value: number): number {
  if (!(value > 0)) return 1;
  return complementaryErrorFunction(Math.sqrt(value / 2));
}

/** The two-sided normal critical value of a confidence level (1.959964 for 0.95). */
export function normalCriticalValue(confidenceLevel: number): number {
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) throw new RangeError(`a confidence level lies strictly between 0 and 1, got ${confidenceLevel}`);
  return inverseStandardNormalCumulative(0.5 + confidenceLevel / 2);
}

/**
 * The Wilson score interval of a proportion (Wilson, "Probable inference, the law of succession, and
 * statistical inference", JASA 22, 1927): unlike the Wald interval it stays inside [0, 1] and keeps
 * its coverage near 0 % and 100 %, where authorization and error rates live.
 */
export function wilsonInterval(sample: ProportionSample, confidenceLevel = 0.95): IntervalEstimate {
  if (sample.trials <= 0) return { estimate: undefined, lower: 0, upper: 1 };
  const critical = normalCriticalValue(confidenceLevel);
  const trials = sample.trials;
  const proportion = sample.successes / trials;
  const criticalSquared = critical * critical;
  const denominator = 1 + criticalSquared / trials;
  const center = (proportion + criticalSquared / (2 * trials)) / denominator;
  const halfWidth = (critical / denominator) * Math.sqrt((proportion * (1 - proportion)) / trials + criticalSquared / (4 * trials * trials));
  return { estimate: proportion, lower: Math.max(0, center - halfWidth), upper: Math.min(1, center + halfWidth) };
}

/**
 * The difference of two proportions (treatment − control) with its Wald interval (unpooled
 * variance); `undefined` when an arm has no observation.
 */
export function differenceInterval(treatment: ProportionSample, control: ProportionSample, confidenceLevel = 0.95): IntervalEstimate | undefined {
  if (treatment.trials <= 0 || control.trials <= 0) return undefined;
  const critical = normalCriticalValue(confidenceLevel);
  const treatmentRate = treatment.successes / treatment.trials;
  const controlRate = control.successes / control.trials;
  const difference = treatmentRate - controlRate;
  const halfWidth = critical * Math.sqrt((treatmentRate * (1 - treatmentRate)) / treatment.trials + (controlRate * (1 - controlRate)) / control.trials);
  return { estimate: difference, lower: difference - halfWidth, upper: difference + halfWidth };
}

/** What one look of the mixture sequential probability ratio test found. */
export interface MixtureSequentialTestResult {
  /** Observed treatment rate − control rate. */
  readonly difference: number;
  /** The variance V of the observed difference used by the test. */
  readonly variance: number;
  /** log Λ, the natural logarithm of the mixture likelihood ratio. */
  readonly logLikelihoodRatio: number;
  /** Λ, the mixture likelihood ratio against "no difference" (may be `Infinity`). */
  readonly likelihoodRatio: number;
  /** min(1, 1/Λ): the p-value of this look; the running minimum over looks is always valid. */
  readonly pValue: number;
}

/**
 * One look of the mixture sequential probability ratio test (mSPRT) of "the two rates are equal",
 * in the normal approximation for the difference of two proportions.
 *
 * Math (Johari, Koomen, Pekelis and Walsh, "Peeking at A/B tests: why it matters, and what to do
 * about it", KDD 2017; Robbins, "Statistical methods related to the law of the iterated
 * logarithm", 1970): let Δ̂ = p̂_T − p̂_C be the observed difference and V its variance. Under the
 * null hypothesis Δ = 0; the alternative mixes Δ ~ N(0, τ²). The likelihood ratio of the mixture
 * against the null, for a normal statistic, is
 *
 *     Λ = √(V / (V + τ²)) · exp( τ² Δ̂² / (2 V (V + τ²)) ).
 *
 * Λ is a non-negative martingale under the null, so by Ville's inequality
 * P(Λ ever ≥ 1/α) ≤ α: the test can be looked at after every observation and rejects at the first
 * look with Λ ≥ 1/α, keeping the type I error at α (always-valid p-value: the running minimum of
 * 1/Λ). τ² is the mixing variance: the squared size of the differences the test is tuned to find
 * fastest (τ = 0.05 suits authorization-rate changes of a few points).
 *
 * V is the larger of the unpooled estimate p̂_T(1−p̂_T)/n_T + p̂_C(1−p̂_C)/n_C and the pooled one
 * p̄(1−p̄)(1/n_T + 1/n_C). The unpooled estimate keeps the test conservative when the arms are
 * unbalanced (a 5 % ramp) and the events rare (errors); the pooled one keeps it defined when one arm
 * is degenerate (every attempt failed). When both are 0 there is no evidence: Λ = 1.
 *
 * @returns `undefined` when an arm has no trial.
 */
export function mixtureSequentialProbabilityRatio(treatment: ProportionSample, control: ProportionSample, mixingVariance: number): MixtureSequentialTestResult | undefined {
  if (treatment.trials <= 0 || control.trials <= 0) return undefined;
  const treatmentRate = treatment.successes / treatment.trials;
  const controlRate = control.successes / control.trials;
  const difference = treatmentRate - controlRate;
  const pooledRate = (treatment.successes + control.successes) / (treatment.trials + control.trials);
  const unpooled = (treatmentRate * (1 - treatmentRate)) / treatment.trials + (controlRate * (1 - controlRate)) / control.trials;
  const pooled = pooledRate * (1 - pooledRate) * (1 / treatment.trials + 1 / control.trials);
  const variance = Math.max(unpooled, pooled);
  if (variance <= 0) return { difference, variance, logLikelihoodRatio: 0, likelihoodRatio: 1, pValue: 1 };
  const logLikelihoodRatio =
    0.5 * Math.log(variance / (variance + mixingVariance)) + (mixingVariance * difference * difference) / (2 * variance * (variance + mixingVariance));
  return { difference, variance, logLikelihoodRatio, likelihoodRatio: Math.exp(logLikelihoodRatio), pValue: Math.min(1, Math.exp(-logLikelihoodRatio)) };
}

/** What a sample-ratio-mismatch check found. */
export interface SampleRatioMismatchResult {
  /** The treatment's observed share of assignments (`undefined` without assignments). */
  readonly observedTreatmentShare: number | undefined;
  /** The share the split should give. */
  readonly expectedTreatmentShare: number;
  /** Pearson's chi-square statistic (one degree of freedom). */
  readonly chiSquare: number;
  /** P(chi-square ≥ statistic) under a correct split. */
  readonly pValue: number;
}

/**
 * Pearson's chi-square goodness-of-fit test of assignment counts against the expected split (one
 * degree of freedom): a tiny p-value means the split itself is broken (bucketing bug, lost events,
 * a bot hitting one arm), so no comparison of the arms can be trusted.
 *
 * @throws RangeError when `expectedTreatmentShare` is not strictly between 0 and 1.
 */
export function sampleRatioMismatch(counts: { readonly treatment: number; readonly control: number }, expectedTreatmentShare: number): SampleRatioMismatchResult {
  if (!(expectedTreatmentShare > 0 && expectedTreatmentShare < 1)) {
    throw new RangeError(`the expected treatment share lies strictly between 0 and 1, got ${expectedTreatmentShare}`);
  }
  const total = counts.treatment + counts.control;
  if (total <= 0) return { observedTreatmentShare: undefined, expectedTreatmentShare, chiSquare: 0, pValue: 1 };
  const expectedTreatment = total * expectedTreatmentShare;
  const expectedControl = total - expectedTreatment;
  const chiSquare = (counts.treatment - expectedTreatment) ** 2 / expectedTreatment + (counts.control - expectedControl) ** 2 / expectedControl;
  return { observedTreatmentShare: counts.treatment / total, expectedTreatmentShare, chiSquare, pValue: chiSquareOneDegreeSurvival(chiSquare) };
}
