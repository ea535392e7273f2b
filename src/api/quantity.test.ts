import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addQuantities, canonicalQuantity, compareQuantities, parseQuantity, QuantityParseError, subQuantities, toBytes, toMillis } from './quantity.js';

const canonical: [string, string][] = [
  ['1000m', '1'], ['0.5', '500m'], ['1536Mi', '1536Mi'], ['1.5Gi', '1536Mi'], ['1024Mi', '1Gi'], ['100Mi', '100Mi'],
  ['1000', '1k'], ['1e3', '1e3'], ['1E3', '1e3'], ['0.1m', '100u'], ['1.5', '1500m'], ['0', '0'], ['0Gi', '0'], ['512Ki', '512Ki'],
  ['0.5Ki', '512'], ['1.5Ki', '1536'], ['-1Ki', '-1Ki'], ['+2', '2'], ['1Ei', '1Ei'], ['2048Ei', '2048Ei'], ['100m', '100m'],
  ['250m', '250m'], ['1.1', '1100m'], ['128974848', '128974848'], ['129e6', '129e6'], ['129M', '129M'], ['123Mi', '123Mi'],
  ['1n', '1n'], ['0.0000000001', '1n'], ['12.5e-1', '1250e-3'], ['.5', '500m'], ['5.', '5'],
];
for (const [input, want] of canonical) test(`quantity: ${input} → ${want}`, () => assert.equal(canonicalQuantity(input), want));

for (const bad of ['', 'abc', '1.2.3', '1Zi', 'Mi', '1 Mi', '1e', '--1']) {
  test(`quantity: invalid ${JSON.stringify(bad)}`, () => assert.throws(() => parseQuantity(bad), QuantityParseError));
}

test('quantity: numbers are accepted as JSON numbers are', () => {
  assert.equal(canonicalQuantity(2), '2');
  assert.equal(canonicalQuantity(0.25), '250m');
});

test('quantity: millis, bytes, compare, add, sub', () => {
  assert.equal(toMillis('1.5'), 1500);
  assert.equal(toMillis('100m'), 100);
  assert.equal(toMillis('0.1m'), 1); // rounded up
  assert.equal(toBytes('1Gi'), 1073741824);
  assert.equal(toBytes('1.5k'), 1500);
  assert.equal(compareQuantities('1', '1000m'), 0);
  assert.equal(compareQuantities('1Gi', '1G'), 1);
  assert.equal(compareQuantities('100m', '0.2'), -1);
  assert.equal(addQuantities('1Gi', '512Mi').toString(), '1536Mi');
  assert.equal(addQuantities('100m', '900m').toString(), '1');
  assert.equal(subQuantities('1', '250m').toString(), '750m');
  assert.equal(subQuantities('1Gi', '2Gi').toString(), '-1Gi');
});
