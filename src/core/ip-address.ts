// Recognizes textual IP addresses as host-local writes them (Go's net.IP String): lease files are
// named by their address, and anything else in the lease store is bookkeeping.

const IPV4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

export function isIpv4Address(text: string): boolean {
  return IPV4.test(text);
}

export function isIpv6Address(text: string): boolean {
  if (text.length > 45) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  const all = groups.flat();
  // An embedded IPv4 address (::ffff:10.0.0.1) stands for the last two groups.
  const last = all[all.length - 1];
  const embeddedIpv4 = last !== undefined && last.includes('.');
  if (embeddedIpv4 && !isIpv4Address(last)) return false;
  const hexGroups = embeddedIpv4 ? all.slice(0, -1) : all;
  if (!hexGroups.every((group) => HEX_GROUP.test(group))) return false;
  const width = hexGroups.length + (embeddedIpv4 ? 2 : 0);
  return halves.length === 2 ? width <= 7 : width === 8;
}

export function isIpAddress(text: string): boolean {
  return isIpv4Address(text) || isIpv6Address(text);
}
