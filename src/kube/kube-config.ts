// The kubeconfig a process runs with: in-cluster, KUBECONFIG or ~/.kube/config, as kubectl finds it.
// Its own module so that a lazy `import()` of it names one export: a dynamic import of
// @kubernetes/client-node itself keeps the whole namespace, and the bundle then carries every
// generated API (about 1.8 MB more source resident in every agent).
import { KubeConfig } from '@kubernetes/client-node';

export function loadDefaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}
