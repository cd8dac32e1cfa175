import { invisibleTextProblem, quoted, shortenQuotedValues } from '../../src/util/text';

describe('quoted', () => {
  test('keeps a short value whole, cuts a long one to 64 characters with an ellipsis', () => {
    expect(quoted('STP')).toBe('"STP"');
    expect(quoted('x'.repeat(64))).toBe(`"${'x'.repeat(64)}"`);
    expect(quoted('x'.repeat(10_000))).toBe(`"${'x'.repeat(64)}…"`);
  });
  test('never cuts a surrogate pair', () => {
    const q = quoted('😀'.repeat(100));
    expect(q).toBe(`"${'😀'.repeat(64)}…"`);
  });
});

describe('shortenQuotedValues', () => {
  test('cuts every long quoted value of a message, leaves the rest', () => {
    const long = 'B'.repeat(10_000);
    const message = `Variable "$y" got invalid value "${long}"; Int cannot represent non-integer value: "${long}"`;
    expect(shortenQuotedValues(message)).toBe(`Variable "$y" got invalid value "${'B'.repeat(64)}…"; Int cannot represent non-integer value: "${'B'.repeat(64)}…"`);
    expect(shortenQuotedValues('Cannot query field "x" on type "Unit".')).toBe('Cannot query field "x" on type "Unit".');
  });
  test('does not end inside an escape sequence', () => {
    const message = `got "${'a'.repeat(63)}\\u0041${'b'.repeat(200)}"`;
    expect(shortenQuotedValues(message)).toBe(`got "${'a'.repeat(63)}…"`);
  });
});

describe('invisibleTextProblem', () => {
  test.each([
    ['Sở Tư pháp', null],
    ['Phường 2 – “Đông Ba”', null],
    ['\u200B\u200C\u200D', 'has no visible character'],
    ['\u00AD\u2060\uFEFF \u3000', 'has no visible character'],
    ['\u0301\u0300', 'has no visible character'],
    ['abc\u202E', 'contains a bidirectional control character'],
    ['\u2067abc\u2069', 'contains a bidirectional control character'],
    ['abc\u200E', 'contains a bidirectional control character'],
    ['abc\u061C', 'contains a bidirectional control character'],
  ])('%j → %s', (value, problem) => {
    expect(invisibleTextProblem(value)).toBe(problem);
  });
});
