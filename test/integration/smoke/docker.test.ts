// The Docker engine is real: a container really runs on a network we create, and really goes.
import { dockerClient, testImage, uniqueName } from '../../support/engines.js';

describe('Docker Engine through dockerode', () => {
  const docker = dockerClient();

  test('creates a network, runs a container on it, removes both', async () => {
    const networkName = uniqueName('smoke-net');
    const network = await docker.createNetwork({ Name: networkName, Driver: 'bridge' });
    const container = await docker.createContainer({
      Image: testImage(),
      name: uniqueName('smoke-ctr'),
      Cmd: ['sleep', '300'],
      HostConfig: { NetworkMode: networkName },
    });
    try {
      await container.start();
      const running = await container.inspect();
      expect(running.State.Running).toBe(true);
      expect(Object.keys(running.NetworkSettings.Networks)).toEqual([networkName]);

      const attached = await network.inspect();
      expect(Object.keys(attached.Containers ?? {})).toEqual([running.Id]);
    } finally {
      await container.remove({ force: true });
      await network.remove();
    }

    await expect(container.inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(network.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
