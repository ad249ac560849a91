import type Docker from 'dockerode';
import type { DockerEvent, DockerObjectType } from '../../../src/runtime/docker-objects.js';
import {
  containerFromInspect,
  containerFromListing,
  effectsOf,
  parseDockerEvent,
  resourcesOf,
  unreadableReason,
  withAttachments,
} from '../../../src/runtime/docker-objects.js';

const ID = 'a'.repeat(64);
const NET = 'n'.repeat(64);

describe('a container reads the same from a listing and from an inspect', () => {
  const listed = {
    Id: ID,
    Names: ['/lab-1'],
    Labels: { 'reaper.dev/owner-uid': 'u1' },
    Created: 1_700_000_000,
    State: 'running',
    NetworkSettings: { Networks: { labnet: { NetworkID: NET }, pending: {} } },
  } as unknown as Docker.ContainerInfo;
  const inspected = {
    Id: ID,
    Name: '/lab-1',
    Config: { Labels: { 'reaper.dev/owner-uid': 'u1' } },
    Created: '2023-11-14T22:13:20.123456789Z',
    State: { Status: 'running' },
    NetworkSettings: { Networks: { labnet: { NetworkID: NET }, pending: { NetworkID: '' } } },
  } as unknown as Docker.ContainerInspectInfo;

  test('the same record', () => {
    expect(containerFromInspect(inspected)).toEqual(containerFromListing(listed));
    expect(containerFromListing(listed)).toEqual({
      resource: {
        kind: 'container',
        id: ID,
        name: 'lab-1',
        labels: { 'reaper.dev/owner-uid': 'u1' },
        createdAt: 1_700_000_000_000,
        state: 'running',
        networks: ['labnet', 'pending'],
      },
      attachments: [{ name: 'labnet', networkId: NET }, { name: 'pending' }],
    });
  });

  test('what Docker leaves out reads as unknown, never as young', () => {
    const bare = containerFromInspect({ Id: ID } as unknown as Docker.ContainerInspectInfo).resource;
    expect(bare).toEqual({
      kind: 'container',
      id: ID,
      name: ID,
      labels: {},
      createdAt: 0,
      state: 'unknown',
      networks: [],
    });
  });
});

describe('attachments come from the containers', () => {
  const container = (id: string, attachments: { name: string; networkId?: string }[]) => ({
    resource: { kind: 'container' as const, id, name: id, labels: {}, createdAt: 0, state: 'created', networks: [] },
    attachments,
  });
  const network = (id: string, name: string) => ({
    kind: 'network' as const,
    id,
    name,
    labels: {},
    createdAt: 0,
    driver: 'bridge',
  });

  test('by id where the container has one, else by name; a network of the same name elsewhere is not named', () => {
    const networks = withAttachments(
      [network('n1', 'lab'), network('n2', 'other')],
      [
        container('started', [{ name: 'lab', networkId: 'n1' }]),
        container('never-started', [{ name: 'lab' }]),
        // Named "other" but by the id of a network since removed: not attached to the "other" of now.
        container('stale', [{ name: 'other', networkId: 'gone' }]),
      ],
    );
    expect(networks.map((n) => [n.id, n.containerIds])).toEqual([
      ['n1', ['started', 'never-started']],
      ['n2', []],
    ]);
  });

  test('a snapshot of the view keeps only labelled volumes', () => {
    const volume = (name: string, labels: Record<string, string>) => ({
      kind: 'volume' as const,
      id: name,
      name,
      labels,
      createdAt: 0,
      driver: 'local',
    });
    const { volumes } = resourcesOf({
      containers: new Map(),
      networks: new Map(),
      volumes: new Map([
        ['anon', volume('anon', {})],
        ['data', volume('data', { a: 'b' })],
      ]),
    });
    expect(volumes.map((v) => v.name)).toEqual(['data']);
  });
});

describe('parseDockerEvent', () => {
  test('an event of a followed type', () => {
    const line = JSON.stringify({
      Type: 'network',
      Action: 'connect',
      Actor: { ID: NET, Attributes: { container: ID, name: 'lab' } },
      time: 1,
    });
    expect(parseDockerEvent(line)).toEqual({
      type: 'network',
      action: 'connect',
      id: NET,
      attributes: { container: ID, name: 'lab' },
    });
  });

  test.each([
    ['an image event', { Type: 'image', Action: 'pull', Actor: { ID: 'busybox' } }],
    ['a prune, which names no object', { Type: 'volume', Action: 'prune', Actor: { ID: '', Attributes: {} } }],
  ])('%s is not followed', (_name, raw) => {
    expect(parseDockerEvent(JSON.stringify(raw))).toBeUndefined();
  });

  test('a line that is not an event throws: the view cannot tell what it missed', () => {
    expect(() => parseDockerEvent('{"Type":')).toThrow();
    expect(() => parseDockerEvent('[]')).toThrow(/not a Docker event/);
  });
});

describe('effectsOf', () => {
  const event = (type: DockerObjectType, action: string, attributes: Record<string, string> = {}): DockerEvent => ({
    type,
    action,
    id: type === 'volume' ? 'data' : type === 'network' ? NET : ID,
    attributes,
  });
  const holdsAll = () => true;
  const holdsNone = () => false;

  test.each([
    ['container', 'create'],
    ['container', 'start'],
    ['container', 'die'],
    ['container', 'rename'],
    ['container', 'pause'],
    ['network', 'create'],
    ['volume', 'create'],
  ] as const)('a %s %s is inspected', (type, action) => {
    expect(effectsOf(event(type, action), holdsAll)).toEqual([{ op: 'inspect', type, id: event(type, action).id }]);
  });

  test.each(['container', 'network', 'volume'] as const)('a %s destroy drops it, held or not', (type) => {
    const e = event(type, 'destroy');
    expect(effectsOf(e, holdsAll)).toEqual([{ op: 'drop', type, id: e.id }]);
    expect(effectsOf(e, holdsNone)).toEqual([{ op: 'drop', type, id: e.id }]);
  });

  test.each([
    ['container', 'exec_start: sh'],
    ['container', 'health_status: healthy'],
    ['container', 'kill'],
    ['container', 'attach'],
    ['volume', 'mount'],
    ['volume', 'unmount'],
  ] as const)('a %s %s changes nothing held: no inspect of an object the view holds', (type, action) => {
    expect(effectsOf(event(type, action), holdsAll)).toEqual([]);
  });

  test.each([
    ['container', 'exec_start: sh'],
    ['volume', 'mount'],
    ['network', 'connect'],
  ] as const)(
    'any event about an object the view does not hold (a %s %s) inspects it: never assumed absent',
    (type, action) => {
      expect(effectsOf(event(type, action), holdsNone)).toContainEqual({
        op: 'inspect',
        type,
        id: event(type, action).id,
      });
    },
  );

  test('a connect or disconnect inspects the container it names (attachment is read from containers)', () => {
    for (const action of ['connect', 'disconnect']) {
      expect(effectsOf(event('network', action, { container: ID }), holdsAll)).toEqual([
        { op: 'inspect', type: 'container', id: ID },
      ]);
    }
  });
});

describe('unreadableReason', () => {
  const at = Date.parse('2026-12-06T10:00:00Z');

  test('following: readable', () => {
    expect(unreadableReason({ state: 'following', listedAt: at })).toBeUndefined();
  });

  test('starting or broken: not readable, and the reason says since when and why', () => {
    expect(unreadableReason({ state: 'starting', since: at })).toBe(
      'the Docker engine has not been listed yet (waiting since 2026-12-06T10:00:00.000Z)',
    );
    expect(unreadableReason({ state: 'starting', since: at, error: 'cannot reach Docker at unix:///x.sock' })).toBe(
      'the Docker engine has not been listed yet (waiting since 2026-12-06T10:00:00.000Z): cannot reach Docker at unix:///x.sock',
    );
    expect(unreadableReason({ state: 'broken', at, reason: 'the event stream ended: the connection closed' })).toBe(
      "Docker's event stream broke at 2026-12-06T10:00:00.000Z (the event stream ended: the connection closed) and the engine is not listed again yet",
    );
  });
});
