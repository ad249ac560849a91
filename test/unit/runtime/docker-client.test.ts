// Where Docker is looked for, and the one line a failed call becomes. A socket that does not exist
// needs no engine: these run with the unit tests.
import Docker from 'dockerode';
import {
  assertDockerReachable,
  describeDockerError,
  dockerEndpoint,
  dockerEndpointOf,
  httpStatus,
} from '../../../src/runtime/docker-client.js';

const missing = new Docker({ socketPath: '/nonexistent/docker.sock' });

test('DOCKER_HOST, else the default socket', () => {
  expect(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.1:2375' })).toBe('tcp://10.0.0.1:2375');
  expect(dockerEndpoint({})).toBe('unix:///var/run/docker.sock');
  expect(dockerEndpoint({ DOCKER_HOST: '' })).toBe('unix:///var/run/docker.sock');
});

test("a client's own endpoint", () => {
  expect(dockerEndpointOf(missing)).toBe('unix:///nonexistent/docker.sock');
  expect(dockerEndpointOf(new Docker({ host: '10.0.0.1', port: 2376, protocol: 'https' }))).toBe(
    'https://10.0.0.1:2376',
  );
});

test('no engine at the socket: one line that says where and how to fix it', async () => {
  await expect(assertDockerReachable(missing)).rejects.toThrow(
    /^cannot reach Docker at unix:\/\/\/nonexistent\/docker\.sock \(connect ENOENT \/nonexistent\/docker\.sock\): start dockerd, or set DOCKER_HOST to an engine that answers$/,
  );
});

test("Docker's own message when it answered; the status code kept", () => {
  const answered = Object.assign(new Error('(HTTP code 409) unexpected - long text'), {
    statusCode: 409,
    json: { message: 'remove v1: volume is in use - [abc]\nsecond line' },
  });
  expect(httpStatus(answered)).toBe(409);
  expect(describeDockerError(answered, missing)).toBe('remove v1: volume is in use - [abc]');
  expect(httpStatus(new Error('x'))).toBeUndefined();
});

test.each([
  ['ECONNREFUSED', 'connect ECONNREFUSED /nonexistent/docker.sock'],
  ['EPIPE', 'write EPIPE'],
  ['ECONNRESET', 'read ECONNRESET'],
])('a connection that fails (%s) is "cannot reach"', (code, message) => {
  const err = Object.assign(new Error(message), { code });
  expect(describeDockerError(err, missing)).toBe(
    `cannot reach Docker at unix:///nonexistent/docker.sock (${message}): start dockerd, or set DOCKER_HOST to an engine that answers`,
  );
});

test('a call that timed out is "cannot reach" too', () => {
  const err = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
  expect(describeDockerError(err, missing)).toMatch(/^cannot reach Docker at .* \(no answer within 60s\)/);
});
