import { isIpAddress, isIpv4Address, isIpv6Address } from '../../../src/core/ip-address.js';

test.each([
  ['10.0.0.2', 'v4'],
  ['0.0.0.0', 'v4'],
  ['255.255.255.255', 'v4'],
  ['192.168.1.10', 'v4'],
  ['fd00::2', 'v6'],
  ['::', 'v6'],
  ['::1', 'v6'],
  ['2001:db8:0:0:0:0:0:1', 'v6'],
  ['2001:DB8::1', 'v6'],
  ['::ffff:10.0.0.1', 'v6'],
  ['fe80::1:2:3:4:5:6', 'v6'],
  ['lock', 'none'],
  ['last_reserved_ip.0', 'none'],
  ['', 'none'],
  ['256.0.0.1', 'none'],
  ['10.0.0', 'none'],
  ['10.0.0.2.3', 'none'],
  ['010.0.0.2', 'none'],
  ['10.0.0.2 ', 'none'],
  ['1:2:3:4:5:6:7:8:9', 'none'],
  ['1::2::3', 'none'],
  ['12345::1', 'none'],
  ['1:2:3:4:5:6:7:8::', 'none'],
  ['fd00::2%eth0', 'none'],
  ['::ffff:300.0.0.1', 'none'],
  ['g::1', 'none'],
])('%s is %s', (text, family) => {
  expect(isIpv4Address(text)).toBe(family === 'v4');
  expect(isIpv6Address(text)).toBe(family === 'v6');
  expect(isIpAddress(text)).toBe(family !== 'none');
});
