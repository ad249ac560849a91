// ContainerListing: the container backend's listing serves the network backend of the same
// snapshot once, and only while it is recent; otherwise the containers are listed afresh.
import type Docker from 'dockerode';
import { ContainerListing } from '../../../src/runtime/container-listing.js';

function engine(): { docker: Docker; calls: () => number } {
  let calls = 0;
  const docker = {
    listContainers: () => {
      calls++;
      return Promise.resolve([{ Id: `listing-${calls}` }]);
    },
  } as unknown as Docker;
  return { docker, calls: () => calls };
}

test('take() after list() hands over that listing without a call, and only once', async () => {
  const { docker, calls } = engine();
  const listing = new ContainerListing(docker);
  const listed = await listing.list();
  await expect(listing.take()).resolves.toBe(listed);
  expect(calls()).toBe(1);
  await expect(listing.take()).resolves.toEqual([{ Id: 'listing-2' }]);
  expect(calls()).toBe(2);
});

test('take() with no listing before it lists', async () => {
  const { docker, calls } = engine();
  await expect(new ContainerListing(docker).take()).resolves.toEqual([{ Id: 'listing-1' }]);
  expect(calls()).toBe(1);
});

test('a listing older than 10 s is not handed over', async () => {
  const { docker, calls } = engine();
  let now = 1_000_000;
  const listing = new ContainerListing(docker, () => now);
  await listing.list();
  now += 10_001;
  await expect(listing.take()).resolves.toEqual([{ Id: 'listing-2' }]);
  expect(calls()).toBe(2);
});

test('a failed listing leaves nothing to hand over', async () => {
  let calls = 0;
  const docker = {
    listContainers: () => (++calls === 1 ? Promise.reject(new Error('engine gone')) : Promise.resolve([])),
  } as unknown as Docker;
  const listing = new ContainerListing(docker);
  await expect(listing.list()).rejects.toThrow('engine gone');
  await expect(listing.take()).resolves.toEqual([]);
  expect(calls).toBe(2);
});
