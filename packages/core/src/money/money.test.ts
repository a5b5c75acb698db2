import { createSeededRandom } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { CurrencyMismatchError, InvalidMoneyError, UnknownCurrencyError } from '../errors/money-errors.js';
import { Money, type MoneyJson } from './money.js';

/** Deterministic pseudo-random numbers (the test kit's mulberry32), so a failing property case can be replayed. */
function seededRandom(seed: number): () => number {
  return createSeededRandom(seed).next;
}

/** Runs `action`, expecting it to throw, and returns what it threw. */
function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

const usd = (minorUnits: bigint | number): Money => Money.of(minorUnits, 'USD');
const beyondSafe = 2n ** 53n + 1n;

describe('Money.of', () => {
  it('keeps integer minor units and the currency', () => {
    const amount = Money.of(1234, 'USD');
    expect(amount.minorUnits).toBe(1234n);
    expect(amount.currency).toBe('USD');
    expect(amount.exponent).toBe(2);
    expect(Money.of(-5n, 'JPY').minorUnits).toBe(-5n);
  });

  it('treats -0 as zero', () => {
    expect(Money.of(-0, 'USD').minorUnits).toBe(0n);
    expect(Money.of(-0, 'USD').isZero()).toBe(true);
  });

  it('accepts bigints beyond 2^53 exactly', () => {
    const amount = Money.of(beyondSafe, 'USD');
    expect(amount.minorUnits).toBe(9_007_199_254_740_993n);
    expect(amount.add(usd(1)).minorUnits).toBe(9_007_199_254_740_994n);
    expect(amount.toDecimalString()).toBe('90071992547409.93');
  });

  it.each([12.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -(2 ** 53)])('refuses the number %s with a message naming it and the fix', (value) => {
    const error = thrownBy(() => Money.of(value, 'USD'));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    const message = (error as InvalidMoneyError).message;
    expect(message).toContain(String(value));
    expect(message).toContain('not a safe integer');
    expect(message).toContain('Money.fromDecimal');
    expect(message).toContain('bigint');
  });

  it('refuses values that are neither bigint nor number (untyped callers)', () => {
    const error = thrownBy(() => Money.of('12' as unknown as number, 'USD'));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("'12'");
  });

  it('refuses unknown and lower-case currencies', () => {
    expect(() => Money.of(1, 'usd')).toThrow(UnknownCurrencyError);
    expect(() => Money.of(1, 'ABC')).toThrow(UnknownCurrencyError);
    expect(() => Money.zero('')).toThrow(UnknownCurrencyError);
  });

  it('is immutable', () => {
    const amount = usd(100);
    expect(Object.isFrozen(amount)).toBe(true);
    expect(() => {
      (amount as { minorUnits: bigint }).minorUnits = 1n;
    }).toThrow(TypeError);
    expect(amount.minorUnits).toBe(100n);
  });

  it('zero is zero in the given currency', () => {
    const zero = Money.zero('KWD');
    expect(zero.minorUnits).toBe(0n);
    expect(zero.currency).toBe('KWD');
    expect(zero.toString()).toBe('0.000 KWD');
  });
});

describe('Money.fromDecimal', () => {
  it.each([
    ['12.34', 'USD', 1234n],
    ['-1.5', 'USD', -150n],
    ['0.05', 'USD', 5n],
    ['-0.05', 'USD', -5n],
    ['12', 'USD', 1200n],
    ['12.3', 'USD', 1230n],
    ['12.340', 'USD', 1234n],
    ['12.3400000', 'USD', 1234n],
    ['007.50', 'USD', 750n],
    ['0', 'USD', 0n],
    ['-0', 'USD', 0n],
    ['-0.00', 'USD', 0n],
    ['500', 'JPY', 500n],
    ['500.0', 'JPY', 500n],
    ['1.23', 'BHD', 1230n],
    ['1.234', 'KWD', 1234n],
    ['1.0001', 'CLF', 10001n],
    ['90071992547409.93', 'USD', 9_007_199_254_740_993n],
    ['123456789012345678901234567890.12', 'EUR', 12345678901234567890123456789012n],
  ] as const)('%s %s is %s minor units', (decimal, code, minorUnits) => {
    const amount = Money.fromDecimal(decimal, code);
    expect(amount.minorUnits).toBe(minorUnits);
    expect(amount.currency).toBe(code);
  });

  it.each([
    ['12.345', 'USD'],
    ['0.001', 'USD'],
    ['500.5', 'JPY'],
    ['1.2345', 'BHD'],
    ['1.00001', 'CLF'],
    ['1.0000000001', 'EUR'],
  ])('refuses %s %s: more fraction digits than the exponent, and not zeros', (decimal, code) => {
    const error = thrownBy(() => Money.fromDecimal(decimal, code));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    const message = (error as InvalidMoneyError).message;
    expect(message).toContain(decimal);
    expect(message).toContain(code);
    expect(message).toContain('Round');
  });

  it.each(['1e3', '1E3', '', ' 1', '1 ', '1.2.3', '+1', '.5', '5.', '-', '.', '1,000', '1_000', '--1', '0x10', 'NaN', 'Infinity', '١٢', '１２'])(
    'refuses the malformed decimal %j',
    (decimal) => {
      const error = thrownBy(() => Money.fromDecimal(decimal, 'USD'));
      expect(InvalidMoneyError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('not a plain decimal');
    },
  );

  it('refuses a number passed by an untyped caller (floating point has already rounded it)', () => {
    expect(() => Money.fromDecimal(12.34 as unknown as string, 'USD')).toThrow(InvalidMoneyError);
  });

  it('checks the currency before the amount', () => {
    expect(() => Money.fromDecimal('nonsense', 'usd')).toThrow(UnknownCurrencyError);
  });
});

describe('JSON', () => {
  it.each([
    [usd(1234), { minorUnits: '1234', currency: 'USD' }],
    [usd(-5), { minorUnits: '-5', currency: 'USD' }],
    [Money.of(beyondSafe, 'JPY'), { minorUnits: '9007199254740993', currency: 'JPY' }],
    [Money.zero('BHD'), { minorUnits: '0', currency: 'BHD' }],
  ])('round-trips %s', (amount, json) => {
    expect(amount.toJSON()).toEqual(json);
    const text = JSON.stringify({ amount });
    expect(JSON.parse(text)).toEqual({ amount: json });
    const back = Money.fromJSON((JSON.parse(text) as { amount: MoneyJson }).amount);
    expect(back.equals(amount)).toBe(true);
    expect(back.minorUnits).toBe(amount.minorUnits);
  });

  it.each([
    [{ minorUnits: 1234, currency: 'USD' }, '1234'],
    [{ minorUnits: '12.34', currency: 'USD' }, "'12.34'"],
    [{ minorUnits: '', currency: 'USD' }, "''"],
    [{ minorUnits: '1e3', currency: 'USD' }, "'1e3'"],
    [{ minorUnits: ' 1', currency: 'USD' }, "' 1'"],
    [{ currency: 'USD' }, 'undefined'],
  ])('fromJSON refuses %j', (json, shown) => {
    const error = thrownBy(() => Money.fromJSON(json as unknown as MoneyJson));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`got ${shown}`);
    expect((error as Error).message).toContain('decimal integer string');
  });

  it.each([null, undefined, '1234 USD', 12])('fromJSON refuses the non-object %j', (json) => {
    const error = thrownBy(() => Money.fromJSON(json as unknown as MoneyJson));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('expected { minorUnits, currency }');
  });

  it('fromJSON validates the currency', () => {
    expect(() => Money.fromJSON({ minorUnits: '1', currency: 'usd' })).toThrow(UnknownCurrencyError);
    expect(() => Money.fromJSON({ minorUnits: '1' } as unknown as MoneyJson)).toThrow(UnknownCurrencyError);
  });
});

describe('Money.isInstance', () => {
  it('recognizes amounts', () => {
    expect(Money.isInstance(usd(1))).toBe(true);
  });

  it('recognizes an amount from another installed copy (same Symbol.for marker)', () => {
    const foreign = { [Symbol.for('paymigrate.money')]: true, minorUnits: 1n, currency: 'USD' };
    expect(Money.isInstance(foreign)).toBe(true);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', '12.34 USD'],
    ['a number', 1234],
    ['its JSON form', { minorUnits: '1234', currency: 'USD' }],
    ['a look-alike', { minorUnits: 1234n, currency: 'USD' }],
    ['a wrong marker value', { [Symbol.for('paymigrate.money')]: 'true' }],
    ['a private symbol of the same name', { [Symbol('paymigrate.money')]: true }],
    ['an error', new InvalidMoneyError('x')],
  ])('refuses %s', (_label, value) => {
    expect(Money.isInstance(value)).toBe(false);
  });
});

describe('arithmetic', () => {
  it('adds and subtracts exactly', () => {
    expect(usd(1234).add(usd(66)).minorUnits).toBe(1300n);
    expect(usd(100).subtract(usd(250)).minorUnits).toBe(-150n);
    expect(Money.fromDecimal('0.1', 'USD').add(Money.fromDecimal('0.2', 'USD')).toDecimalString()).toBe('0.30');
  });

  it('does not change the operands', () => {
    const left = usd(100);
    const right = usd(1);
    const sum = left.add(right);
    expect(left.minorUnits).toBe(100n);
    expect(right.minorUnits).toBe(1n);
    expect(sum).not.toBe(left);
  });

  it('multiplies by integer factors only', () => {
    expect(usd(1234).multiply(3).minorUnits).toBe(3702n);
    expect(usd(1234).multiply(-1n).minorUnits).toBe(-1234n);
    expect(usd(1234).multiply(0).isZero()).toBe(true);
    expect(usd(beyondSafe).multiply(2n ** 20n).minorUnits).toBe(beyondSafe * 2n ** 20n);
    for (const factor of [1.5, 0.1, Number.NaN, 2 ** 53]) {
      const error = thrownBy(() => usd(100).multiply(factor));
      expect(InvalidMoneyError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain(String(factor));
      expect((error as Error).message).toContain('1.00 USD');
      expect((error as Error).message).toContain('allocate');
    }
  });

  it('negates and takes the absolute value', () => {
    expect(usd(5).negate().minorUnits).toBe(-5n);
    expect(usd(-5).negate().minorUnits).toBe(5n);
    expect(usd(0).negate().minorUnits).toBe(0n);
    expect(usd(-5).absolute().minorUnits).toBe(5n);
    expect(usd(5).absolute().minorUnits).toBe(5n);
  });

  it('reports sign', () => {
    expect([usd(-1).isNegative(), usd(-1).isZero(), usd(-1).isPositive()]).toEqual([true, false, false]);
    expect([usd(0).isNegative(), usd(0).isZero(), usd(0).isPositive()]).toEqual([false, true, false]);
    expect([usd(1).isNegative(), usd(1).isZero(), usd(1).isPositive()]).toEqual([false, false, true]);
  });
});

describe('comparison', () => {
  it('compares', () => {
    expect(usd(1).compare(usd(2))).toBe(-1);
    expect(usd(2).compare(usd(2))).toBe(0);
    expect(usd(3).compare(usd(2))).toBe(1);
    expect(usd(beyondSafe).compare(usd(beyondSafe - 1n))).toBe(1);
  });

  it('orders', () => {
    expect([usd(1).greaterThan(usd(2)), usd(2).greaterThan(usd(2)), usd(3).greaterThan(usd(2))]).toEqual([false, false, true]);
    expect([usd(1).greaterThanOrEqual(usd(2)), usd(2).greaterThanOrEqual(usd(2)), usd(3).greaterThanOrEqual(usd(2))]).toEqual([false, true, true]);
    expect([usd(1).lessThan(usd(2)), usd(2).lessThan(usd(2)), usd(3).lessThan(usd(2))]).toEqual([true, false, false]);
    expect([usd(1).lessThanOrEqual(usd(2)), usd(2).lessThanOrEqual(usd(2)), usd(3).lessThanOrEqual(usd(2))]).toEqual([true, true, false]);
  });

  it('picks min and max', () => {
    const one = usd(1);
    const two = usd(2);
    expect(one.min(two)).toBe(one);
    expect(two.min(one)).toBe(one);
    expect(one.max(two)).toBe(two);
    expect(two.max(one)).toBe(two);
    const otherOne = usd(1);
    expect(one.min(otherOne)).toBe(one);
    expect(one.max(otherOne)).toBe(one);
  });

  it('equals compares currency and amount, and never throws on a currency mismatch', () => {
    expect(usd(100).equals(usd(100))).toBe(true);
    expect(usd(100).equals(usd(101))).toBe(false);
    expect(usd(100).equals(Money.of(100, 'EUR'))).toBe(false);
    expect(Money.zero('USD').equals(Money.zero('JPY'))).toBe(false);
  });
});

describe('mixed currencies', () => {
  const operations: ReadonlyArray<readonly [string, string, (left: Money, right: Money) => unknown]> = [
    ['add', 'add', (left, right) => left.add(right)],
    ['subtract', 'subtract', (left, right) => left.subtract(right)],
    ['compare', 'compare', (left, right) => left.compare(right)],
    ['greaterThan', 'compare', (left, right) => left.greaterThan(right)],
    ['greaterThanOrEqual', 'compare', (left, right) => left.greaterThanOrEqual(right)],
    ['lessThan', 'compare', (left, right) => left.lessThan(right)],
    ['lessThanOrEqual', 'compare', (left, right) => left.lessThanOrEqual(right)],
    ['min', 'compare', (left, right) => left.min(right)],
    ['max', 'compare', (left, right) => left.max(right)],
  ];

  it.each(operations)('%s refuses USD with EUR, naming both and the operation', (_name, operation, run) => {
    const error = thrownBy(() => run(usd(100), Money.of(100, 'EUR')));
    expect(CurrencyMismatchError.isInstance(error)).toBe(true);
    const mismatch = error as CurrencyMismatchError;
    expect(mismatch.code).toBe('MONEY_CURRENCY_MISMATCH');
    expect(mismatch.left).toBe('USD');
    expect(mismatch.right).toBe('EUR');
    expect(mismatch.message).toBe(
      `Cannot ${operation} USD and EUR: amounts in different currencies never mix. Convert explicitly first.`,
    );
  });

  it.each(operations)('%s refuses even zero amounts of different currencies', (_name, _operation, run) => {
    expect(() => run(Money.zero('JPY'), Money.zero('USD'))).toThrow(CurrencyMismatchError);
  });
});

describe('allocate', () => {
  const parts = (amount: Money, ratios: readonly number[]): bigint[] => amount.allocate(ratios).map((part) => part.minorUnits);

  it('splits by ratio and gives leftover units to the largest remainders', () => {
    expect(parts(usd(100), [1, 1, 1])).toEqual([34n, 33n, 33n]);
    expect(parts(usd(100), [1, 1])).toEqual([50n, 50n]);
    expect(parts(usd(5), [3, 7])).toEqual([2n, 3n]); // 1.5 and 3.5: tie on remainder, earlier part first
    expect(parts(usd(10), [1, 2, 3, 4])).toEqual([1n, 2n, 3n, 4n]);
    expect(parts(usd(7), [1, 2, 4])).toEqual([1n, 2n, 4n]);
    expect(parts(usd(11), [1, 2, 4])).toEqual([2n, 3n, 6n]); // shares 1.571, 3.142, 6.285: one leftover unit, to the largest remainder (.571)
    expect(parts(usd(1), [1, 1, 1])).toEqual([1n, 0n, 0n]);
    expect(parts(usd(0), [1, 2])).toEqual([0n, 0n]);
  });

  it('gives nothing to a zero ratio', () => {
    expect(parts(usd(100), [0, 1, 0, 1])).toEqual([0n, 50n, 0n, 50n]);
    expect(parts(usd(101), [1, 0, 1])).toEqual([51n, 0n, 50n]);
    expect(parts(usd(1), [0, 0, 1])).toEqual([0n, 0n, 1n]);
  });

  it('splits negative amounts like their absolute value, negated', () => {
    expect(parts(usd(-100), [1, 1, 1])).toEqual([-34n, -33n, -33n]);
    expect(parts(usd(-5), [3, 7])).toEqual([-2n, -3n]);
  });

  it('splits amounts beyond 2^53 exactly', () => {
    const total = 10n ** 30n + 1n;
    const result = parts(Money.of(total, 'JPY'), [1, 2]);
    expect(result).toEqual([BigInt(`${'3'.repeat(29)}4`), BigInt(`${'6'.repeat(29)}7`)]);
    expect(result.reduce((sum, part) => sum + part, 0n)).toBe(total);
  });

  it('keeps the currency on every part', () => {
    for (const part of Money.of(1000, 'BHD').allocate([1, 2])) {
      expect(part.currency).toBe('BHD');
    }
  });

  it('property: parts always sum to the total, each within one unit of its exact share, in many random cases', () => {
    const random = seededRandom(20_240_601);
    for (let run = 0; run < 2000; run += 1) {
      const count = 1 + Math.floor(random() * 8);
      const ratios = Array.from({ length: count }, () => (random() < 0.2 ? 0 : Math.floor(random() * 1000)));
      if (!ratios.some((ratio) => ratio > 0)) {
        ratios[0] = 1;
      }
      const magnitude = random() < 0.1 ? BigInt(Math.floor(random() * 1e15)) * 10n ** 10n : BigInt(Math.floor(random() * 1_000_000));
      const total = random() < 0.25 ? -magnitude : magnitude;
      const result = parts(Money.of(total, 'USD'), ratios);
      const context = `run ${run}: ${total} by [${ratios.join(', ')}] -> [${result.join(', ')}]`;
      expect(result, context).toHaveLength(count);
      expect(result.reduce((sum, part) => sum + part, 0n), context).toBe(total);
      const ratioSum = BigInt(ratios.reduce((sum, ratio) => sum + ratio, 0));
      result.forEach((part, index) => {
        const ratio = BigInt(ratios[index] ?? 0);
        // |part * ratioSum - total * ratio| < ratioSum  <=>  part differs from the exact share by less than one unit
        const difference = part * ratioSum - total * ratio;
        expect(difference < ratioSum && difference > -ratioSum, context).toBe(true);
        if (ratio === 0n) {
          expect(part, context).toBe(0n);
        }
        expect(total < 0n ? part <= 0n : part >= 0n, context).toBe(true);
      });
    }
  });

  it.each([
    [[], 'no ratios'],
    [[0, 0], 'all ratios are zero'],
    [[1, -1], 'ratio #1 is -1'],
    [[0.25, 0.75], 'ratio #0 is 0.25'],
    [[1, Number.NaN], 'ratio #1 is NaN'],
    [[2 ** 53], 'ratio #0 is 9007199254740992'],
  ])('refuses the ratios %j', (ratios, expected) => {
    const error = thrownBy(() => usd(100).allocate(ratios));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(expected);
    expect((error as Error).message).toContain('1.00 USD');
  });
});

describe('formatting', () => {
  it.each([
    [1234n, 'USD', '12.34'],
    [-5n, 'USD', '-0.05'],
    [5n, 'USD', '0.05'],
    [0n, 'USD', '0.00'],
    [-100n, 'USD', '-1.00'],
    [500n, 'JPY', '500'],
    [-500n, 'JPY', '-500'],
    [0n, 'JPY', '0'],
    [1230n, 'BHD', '1.230'],
    [1n, 'KWD', '0.001'],
    [-1n, 'KWD', '-0.001'],
    [10001n, 'CLF', '1.0001'],
    [9_007_199_254_740_993n, 'USD', '90071992547409.93'],
  ] as const)('%s %s is %s', (minorUnits, code, decimal) => {
    const amount = Money.of(minorUnits, code);
    expect(amount.toDecimalString()).toBe(decimal);
    expect(amount.toString()).toBe(`${decimal} ${code}`);
    expect(Money.fromDecimal(decimal, code).equals(amount)).toBe(true);
  });

  it('toNumberOfMinorUnits returns safe integers and refuses the rest', () => {
    expect(usd(1234).toNumberOfMinorUnits()).toBe(1234);
    expect(usd(Number.MAX_SAFE_INTEGER).toNumberOfMinorUnits()).toBe(Number.MAX_SAFE_INTEGER);
    expect(usd(Number.MIN_SAFE_INTEGER).toNumberOfMinorUnits()).toBe(Number.MIN_SAFE_INTEGER);
    for (const units of [2n ** 53n, -(2n ** 53n), 10n ** 30n]) {
      const error = thrownBy(() => usd(units).toNumberOfMinorUnits());
      expect(InvalidMoneyError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain(units.toString());
      expect((error as Error).message).toContain('MAX_SAFE_INTEGER');
    }
  });
});
