import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isCIdentifier, isConfigMapKey, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isRelaxedEnvVarName,
  isValidIP, isValidLabelValue, isValidPortName, isValidPortNum,
} from './names.js';

const subdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const cases: [string, (v: string) => string[], string, string[]][] = [
  ['subdomain ok', isDNS1123Subdomain, 'web.example.com', []],
  ['subdomain upper', isDNS1123Subdomain, 'Web', [subdomainMsg]],
  ['subdomain too long', isDNS1123Subdomain, 'a'.repeat(254), ['must be no more than 253 characters']],
  ['label ok', isDNS1123Label, 'my-name', []],
  ['label dots', isDNS1123Label, 'a.b', ['must not contain dots']],
  ['label bad', isDNS1123Label, '-a', [labelMsg]],
  ['label long', isDNS1123Label, 'a'.repeat(64), ['must be no more than 63 characters']],
  ['1035 digit start', isDNS1035Label, '1abc', ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]],
  ['qualified ok', isQualifiedName, 'example.com/MyName', []],
  ['qualified empty prefix', isQualifiedName, '/a', ['prefix part must be non-empty']],
  ['qualified two slashes', isQualifiedName, 'a/b/c', ["a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]],
  ['qualified bad name', isQualifiedName, 'a_', ["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]],
  ['label value empty ok', isValidLabelValue, '', []],
  ['label value bad', isValidLabelValue, 'a b', ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]],
  ['c identifier', isCIdentifier, '1x', ["a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used for validation is '[A-Za-z_][A-Za-z0-9_]*')"]],
  ['port name upper+long', isValidPortName, 'HTTP-PORT-NUMBER-1', ['must be no more than 15 characters', 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']],
  ['port name hyphens', isValidPortName, '-a--b', ['must not contain consecutive hyphens', 'must not begin or end with a hyphen']],
  ['config key dotdot', isConfigMapKey, '..a', ["must not start with '..'"]],
  ['env relaxed', isRelaxedEnvVarName, 'A=B', ["a valid environment variable name must consist only of printable ASCII characters other than '='"]],
  ['ip bad', isValidIP, '1.2.3', ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
  ['ip6 ok', isValidIP, '2001:db8::1', []],
  ['ip leading zero', isValidIP, '01.2.3.4', ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
];

for (const [name, fn, value, want] of cases) {
  test(`names: ${name}`, () => assert.deepEqual(fn(value), want));
}

test('names: port numbers', () => {
  assert.deepEqual(isValidPortNum(0), ['must be between 1 and 65535, inclusive']);
  assert.deepEqual(isValidPortNum(65535), []);
});

test('names: the brief example message for metadata.name "Web"', () => {
  assert.equal(isDNS1123Subdomain('Web')[0], subdomainMsg);
});
