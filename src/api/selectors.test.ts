import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLabelSelector, parseFieldSelector, parseLabelSelector, SelectorError, selectorFromSpec } from './selectors.js';

test('label selector syntax and matching', () => {
  const l = { app: 'web', tier: 'fe', n: '5' };
  const m = (s: string) => parseLabelSelector(s).matches(l);
  assert.ok(m(''));
  assert.ok(m('app=web'));
  assert.ok(m('app==web'));
  assert.ok(!m('app!=web'));
  assert.ok(m('app in (web, db)'));
  assert.ok(!m('app notin (web)'));
  assert.ok(m('missing notin (x)'));
  assert.ok(m('tier'));
  assert.ok(!m('!tier'));
  assert.ok(m('!missing'));
  assert.ok(m('n>4,n<6'));
  assert.ok(!m('n>5'));
  assert.ok(m('app=web,tier in (fe)'));
  assert.ok(!m('app=web,tier=be'));
  assert.equal(parseLabelSelector('b=2,a in (y,x)').toString(), 'a in (x,y),b=2');
  for (const bad of ['a in (b', 'a=b,', '=b', 'a b', 'a>x', 'a=b c']) {
    assert.throws(() => parseLabelSelector(bad), SelectorError, bad);
  }
  assert.throws(() => parseLabelSelector('a=-bad-'), /values\[0\]\[a\]: Invalid value: "-bad-"/);
});

test('LabelSelector specs', () => {
  const s = selectorFromSpec({ matchLabels: { app: 'a' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['p', 'q'] }, { key: 'x', operator: 'DoesNotExist' }] });
  assert.ok(s.matches({ app: 'a', env: 'q' }));
  assert.ok(!s.matches({ app: 'a', env: 'q', x: '1' }));
  assert.equal(formatLabelSelector({ matchLabels: { app: 'a' } }), 'app=a');
  assert.equal(formatLabelSelector({}), '<none>');
  assert.ok(!selectorFromSpec(undefined).matches({}));
  assert.ok(selectorFromSpec({}).matches({ a: 'b' }));
});

test('field selectors', () => {
  const f = parseFieldSelector('metadata.name=web,status.phase!=Failed');
  const v: Record<string, string> = { 'metadata.name': 'web', 'status.phase': 'Running' };
  assert.ok(f.matches((k) => v[k]));
  assert.equal(f.requiresExactMatch('metadata.name'), 'web');
  assert.equal(f.requiresExactMatch('status.phase'), undefined);
  assert.ok(!parseFieldSelector('status.phase==Running,metadata.name=x').matches((k) => v[k]));
  assert.equal(parseFieldSelector('a=x\\,y').requirements[0].value, 'x,y');
  assert.throws(() => parseFieldSelector('nonsense'), /invalid selector/);
  assert.ok(parseFieldSelector('').empty());
});
