import { hostname } from 'node:os';
import { Command } from 'commander';
import type { ControllerConfig, RunFlags } from '../../../controllers/config.js';
import { RUN_DEFAULTS, controllerConfig } from '../../../controllers/config.js';
import { addRunCommand } from '../../../controllers/run-command.js';

function config(flags: RunFlags): ControllerConfig {
  const result = controllerConfig(flags);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

function problems(flags: RunFlags): string[] {
  const result = controllerConfig(flags);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.config)}`);
  return result.problems;
}

// What `reaper run` hands over: commander's defaults are RUN_DEFAULTS.
const given: RunFlags = { nodeName: 'node-a', ...RUN_DEFAULTS };

describe('controllerConfig', () => {
  test('the defaults', () => {
    expect(config({ nodeName: 'node-a' })).toEqual({
      nodeName: 'node-a',
      httpAddress: '0.0.0.0:8080',
      logLevel: 'info',
      ownerWorkers: 4,
      triggerDelayMs: 500,
      ownerResyncMs: 60_000,
      dockerRelistMs: 600_000,
      requestTimeoutMs: 30_000,
      shutdownTimeoutMs: 45_000,
      watchIdleTimeoutMs: 150_000,
      kubeApi: { qps: 20, burst: 40 },
      role: 'agent',
      summaryPeriodMs: 10_000,
      reportHeartbeatMs: 300_000,
      staleAfterMs: 900_000,
    });
    expect(config(given)).toEqual(config({ nodeName: 'node-a' }));
  });

  test('every flag', () => {
    expect(
      config({
        nodeName: 'worker-3.example.com',
        httpAddress: '[::1]:0',
        selfContainerId: 'abc123',
        logLevel: 'debug',
        ownerWorkers: '16',
        triggerDelay: '0',
        ownerResync: '1h30m',
        dockerRelist: '30m',
        requestTimeout: '5s',
        shutdownTimeout: '20s',
        watchIdleTimeout: '3m',
        kubeApiQps: '5',
        kubeApiBurst: '10',
        role: 'all',
        summaryPeriod: '1s',
        reportHeartbeat: '30s',
        staleAfter: '2m',
      }),
    ).toEqual({
      nodeName: 'worker-3.example.com',
      httpAddress: '[::1]:0',
      selfContainerId: 'abc123',
      logLevel: 'debug',
      ownerWorkers: 16,
      triggerDelayMs: 0,
      ownerResyncMs: 5_400_000,
      dockerRelistMs: 1_800_000,
      requestTimeoutMs: 5_000,
      shutdownTimeoutMs: 20_000,
      watchIdleTimeoutMs: 180_000,
      kubeApi: { qps: 5, burst: 10 },
      role: 'all',
      summaryPeriodMs: 1_000,
      reportHeartbeatMs: 30_000,
      staleAfterMs: 120_000,
    });
  });

  test('without a node name, the host name in the form of a node name', () => {
    expect(config({}).nodeName).toBe(hostname().toLowerCase());
  });

  test('leader election with its defaults, and with every flag', () => {
    expect(config({ ...given, leaderElect: true }).leaderElection).toEqual({
      namespace: 'default',
      leaseName: 'reaper',
      identity: `${hostname()}-${process.pid}`,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    expect(
      config({
        ...given,
        leaderElect: true,
        leaderElectionNamespace: 'reaper-system',
        leaderElectionId: 'reaper-remote',
        identity: 'pod-1',
        leaseDuration: '1m',
        renewDeadline: '40s',
        retryPeriod: '5s',
      }).leaderElection,
    ).toEqual({
      namespace: 'reaper-system',
      leaseName: 'reaper-remote',
      identity: 'pod-1',
      leaseDurationMs: 60_000,
      renewDeadlineMs: 40_000,
      retryPeriodMs: 5_000,
    });
    expect(config({ ...given, leaseDuration: 'nonsense' })).not.toHaveProperty('leaderElection');
  });

  test.each<[string, RunFlags, string[]]>([
    [
      'a node name with capitals',
      { nodeName: 'Node_A' },
      ['--node-name: "Node_A" is not a valid node name (lowercase DNS subdomain)'],
    ],
    [
      'an unknown log level',
      { logLevel: 'verbose' },
      ['--log-level: "verbose" is not one of error, warn, info, debug'],
    ],
    ['no workers', { ownerWorkers: '0' }, ['--owner-workers: "0" is not an integer from 1 to 64']],
    ['too many workers', { ownerWorkers: '65' }, ['--owner-workers: "65" is not an integer from 1 to 64']],
    ['a fraction of a worker', { ownerWorkers: '2.5' }, ['--owner-workers: "2.5" is not an integer from 1 to 64']],
    ['workers in words', { ownerWorkers: 'four' }, ['--owner-workers: "four" is not an integer from 1 to 64']],
    ['no API requests at all', { kubeApiQps: '0' }, ['--kube-api-qps: "0" is not an integer from 1 to 10000']],
    ['a burst in words', { kubeApiBurst: 'lots' }, ['--kube-api-burst: "lots" is not an integer from 1 to 10000']],
    ['a trigger delay without unit', { triggerDelay: '500' }, ['--trigger-delay: "500" is not a duration']],
    ['a negative trigger delay', { triggerDelay: '-1s' }, ['--trigger-delay: "-1s" is not a duration']],
    ['a zero resync', { ownerResync: '0' }, ['--owner-resync: "0" is not a positive duration such as 10s or 1m']],
    ['a zero relist', { dockerRelist: '0s' }, ['--docker-relist: "0s" is not a positive duration such as 10s or 1m']],
    ['an unknown role', { role: 'leader' }, ['--role: "leader" is not one of agent, summary, all']],
    [
      'a zero summary period',
      { summaryPeriod: '0' },
      ['--summary-period: "0" is not a positive duration such as 10s or 1m'],
    ],
    ['a resync in days', { ownerResync: '1d' }, ['--owner-resync: "1d" is not a positive duration such as 10s or 1m']],
    [
      'a zero request timeout',
      { requestTimeout: '0' },
      ['--request-timeout: "0" is not a positive duration such as 10s or 1m'],
    ],
    [
      'a shutdown timeout without unit',
      { shutdownTimeout: '45' },
      ['--shutdown-timeout: "45" is not a positive duration such as 10s or 1m'],
    ],
  ])('%s', (_name, flags, expected) => {
    expect(problems({ ...given, ...flags })).toEqual(expected);
  });

  test.each<[string, string, RegExp]>([
    ['no port', 'localhost', /not host:port/],
    ['an empty port', '127.0.0.1:', /not host:port/],
    ['a port out of range', '0.0.0.0:70000', /port 70000 is out of range/],
    ['a six-digit port', ':808080', /port 808080 is out of range/],
    ['IPv6 without brackets', '::1:8080', /not host:port/],
    ['brackets around something else', '[1.2.3.4]:8080', /"1.2.3.4" is not an IPv6 address/],
    ['a URL', 'http://0.0.0.0:8080', /not host:port/],
    ['a space', '0.0.0.0 :8080', /not host:port/],
  ])('an http address with %s is refused, saying why and what is accepted', (_name, httpAddress, why) => {
    const [problem, ...rest] = problems({ ...given, httpAddress });
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^--http-address: /);
    expect(problem).toContain(`"${httpAddress}"`);
    expect(problem).toMatch(why);
    expect(problem).toContain('want host:port, [ipv6]:port or :port');
  });

  test.each(['0.0.0.0:8080', '127.0.0.1:0', ':9090', '[::]:8080', 'metrics.local:65535'])(
    '%s is an http address',
    (httpAddress) => {
      expect(config({ ...given, httpAddress }).httpAddress).toBe(httpAddress);
    },
  );

  test.each<[string, RunFlags, string[]]>([
    [
      'a lease duration that is not a duration: one problem, about that flag',
      { leaseDuration: '15' },
      ['--lease-duration: "15" is not a positive duration such as 10s or 1m'],
    ],
    [
      'a renew deadline that is not a duration',
      { renewDeadline: 'soon' },
      ['--renew-deadline: "soon" is not a positive duration such as 10s or 1m'],
    ],
    [
      'a lease no longer than the renew deadline',
      { leaseDuration: '10s' },
      ['--lease-duration must be longer than --renew-deadline'],
    ],
    [
      'a renew deadline too close to the retry period',
      { retryPeriod: '9s' },
      ['--renew-deadline must be longer than 1.2 x --retry-period'],
    ],
  ])('leader election: %s', (_name, flags, expected) => {
    expect(problems({ ...given, leaderElect: true, ...flags })).toEqual(expected);
  });

  test('every problem at once', () => {
    expect(
      problems({
        nodeName: 'A',
        logLevel: 'loud',
        ownerWorkers: '0',
        httpAddress: 'x',
        triggerDelay: 'x',
        ownerResync: 'x',
      }),
    ).toHaveLength(6);
  });
});

describe('flags over environment over defaults, as `reaper run` reads them', () => {
  const ENV = [
    'NODE_NAME',
    'POD_NAMESPACE',
    'POD_NAME',
    'REAPER_HTTP_ADDRESS',
    'REAPER_LOG_LEVEL',
    'REAPER_SELF_CONTAINER_ID',
    'REAPER_LEADER_ELECT',
  ];
  const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
  afterEach(() => {
    for (const name of ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  /** Parses `reaper run <args>` with `env`, and returns the configuration the command would start with. */
  async function resolve(args: string[], env: Record<string, string> = {}): Promise<ControllerConfig> {
    for (const name of ENV) delete process.env[name];
    Object.assign(process.env, env);
    const program = addRunCommand(new Command().exitOverride());
    let flags: RunFlags | undefined;
    program.commands
      .find((c) => c.name() === 'run')!
      .action((options: RunFlags) => {
        flags = options;
      });
    await program.parseAsync(['run', ...args], { from: 'user' });
    return config({ ...flags!, leaderElect: flags!.leaderElect === true });
  }

  test.each<[string, string[], Record<string, string>, Partial<ControllerConfig>]>([
    ['defaults', ['--node-name', 'n1'], {}, { nodeName: 'n1', httpAddress: '0.0.0.0:8080', logLevel: 'info' }],
    [
      'environment over defaults',
      [],
      {
        NODE_NAME: 'n2',
        REAPER_HTTP_ADDRESS: '127.0.0.1:9090',
        REAPER_LOG_LEVEL: 'warn',
        REAPER_SELF_CONTAINER_ID: 'c0ffee',
      },
      { nodeName: 'n2', httpAddress: '127.0.0.1:9090', logLevel: 'warn', selfContainerId: 'c0ffee' },
    ],
    [
      'flags over environment',
      ['--node-name', 'n3', '--http-address', ':7070', '--log-level', 'debug', '--self-container-id', 'beef'],
      {
        NODE_NAME: 'n2',
        REAPER_HTTP_ADDRESS: '127.0.0.1:9090',
        REAPER_LOG_LEVEL: 'warn',
        REAPER_SELF_CONTAINER_ID: 'c0ffee',
      },
      { nodeName: 'n3', httpAddress: ':7070', logLevel: 'debug', selfContainerId: 'beef' },
    ],
    [
      'the Lease namespace and identity from the pod, unless flags say otherwise',
      ['--leader-elect', '--identity', 'me'],
      { NODE_NAME: 'n4', POD_NAMESPACE: 'reaper-system', POD_NAME: 'reaper-0' },
      { leaderElection: expect.objectContaining({ namespace: 'reaper-system', identity: 'me' }) },
    ],
    [
      'the Lease namespace from the pod',
      ['--leader-elect'],
      { NODE_NAME: 'n4', POD_NAMESPACE: 'reaper-system', POD_NAME: 'reaper-0' },
      { leaderElection: expect.objectContaining({ namespace: 'reaper-system', identity: 'reaper-0' }) },
    ],
    [
      'durations from flags',
      ['--node-name', 'n5', '--owner-resync', '30s', '--trigger-delay', '2s', '--owner-workers', '8'],
      {},
      { ownerResyncMs: 30_000, triggerDelayMs: 2_000, ownerWorkers: 8 },
    ],
  ])('%s', async (_name, args, env, expected) => {
    expect(await resolve(args, env)).toMatchObject(expected);
  });

  test('an invalid value from the environment is reported like a flag', async () => {
    await expect(resolve([], { NODE_NAME: 'n1', REAPER_HTTP_ADDRESS: 'everywhere' })).rejects.toThrow(
      /--http-address: .*"everywhere"/,
    );
  });
});
