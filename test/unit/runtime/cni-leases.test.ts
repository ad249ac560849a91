import { isLeaseName, parseLeaseFile } from '../../../src/runtime/cni-leases.js';

const id = 'a'.repeat(64);

test.each([
  ['current format', `${id}\r\neth0`, { containerId: id, ifname: 'eth0' }],
  ['older format: just the id', id, { containerId: id }],
  ['a trailing newline', `${id}\n`, { containerId: id }],
  ['an odd interface name is dropped, the id kept', `${id}\r\neth0; rm -rf /`, { containerId: id }],
])('%s', (_name, content, expected) => {
  expect(parseLeaseFile(Buffer.from(content))).toEqual(expected);
});

test.each([
  ['binary content', Buffer.from([0x61, 0, 0x62]), 'binary content'],
  ['empty', Buffer.from(''), 'first line is not a container id'],
  ['spaces in the id', Buffer.from('abc def'), 'first line is not a container id'],
  ['oversized', Buffer.alloc(5000, 0x61), 'larger than a lease file'],
])('%s is not a lease', (_name, content, reason) => {
  expect(parseLeaseFile(content)).toBe(reason);
});

test.each([
  ['10.0.0.1', true],
  ['fd00::1', true],
  ['lock', false],
  ['last_reserved_ip.0', false],
  ['..', false],
  ['10.0.0.1/../x', false],
  ['10.0.0.256', false],
])('lease name %s: %s', (name, expected) => {
  expect(isLeaseName(name)).toBe(expected);
});
