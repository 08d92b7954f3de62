import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parse as parseYaml } from 'yaml';
import { loadAppConfig } from '../src/config/app.config';
import { ConfigError } from '../src/config/env';

// The benchmark's own module (plain JS): the heap it starts the proxies with.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { POD_HEAP_FLAGS } = require('../bench/lib/stack') as { POD_HEAP_FLAGS: string[] };

/**
 * The manifests in deploy/kubernetes, checked against the app itself: its routes (openapi.json),
 * its default port, the environment variables src/config reads, and its shutdown timings.
 * Every check collects what is wrong and compares the list with [], so a failure names each problem.
 */

const REPO = resolve(__dirname, '..');
const MANIFESTS = join(REPO, 'deploy', 'kubernetes');
const CONFIG_SOURCES = join(REPO, 'src', 'config');
const APP = 'blooio-gateway';
const TENANTS_SECRET = 'blooio-gateway-tenants';
const BLOOIO_KEYS_SECRET = 'blooio-gateway-blooio-keys';

// ---- the Kubernetes shapes this test reads (only the fields it needs) ----

type Labels = Record<string, string>;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels; annotations?: Record<string, string> };
  /** Where the object was read from, for messages. */
  file: string;
}

interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef };
}

interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  exec?: { command: string[] };
  tcpSocket?: { port: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  resources?: {
    requests?: Record<string, string | number>;
    limits?: Record<string, string | number>;
  };
  securityContext?: SecurityContext;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  configMap?: { name: string };
  emptyDir?: Record<string, unknown>;
}

interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: unknown[];
}

interface Deployment extends K8sObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
    template: {
      metadata: { labels?: Labels; annotations?: Record<string, string> };
      spec: {
        automountServiceAccountToken?: boolean;
        terminationGracePeriodSeconds?: number;
        securityContext?: SecurityContext;
        containers: Container[];
        initContainers?: Container[];
        volumes?: Volume[];
        topologySpreadConstraints?: { labelSelector?: LabelSelector }[];
      };
    };
  };
}

/** The part of a Deployment or StatefulSet the Redis checks read. */
interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: { metadata: { labels?: Labels }; spec: Deployment['spec']['template']['spec'] };
  };
}

interface Service extends K8sObject {
  spec: {
    type?: string;
    selector?: Labels;
    ports: { name?: string; port: number; targetPort?: number | string }[];
  };
}

interface HorizontalPodAutoscaler extends K8sObject {
  spec: {
    scaleTargetRef: { apiVersion?: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
    metrics?: { type: string; resource?: { name: string } }[];
  };
}

interface PodDisruptionBudget extends K8sObject {
  spec: {
    selector?: LabelSelector;
    minAvailable?: number | string;
    maxUnavailable?: number | string;
  };
}

interface ConfigMap extends K8sObject {
  data?: Record<string, unknown>;
}

interface Secret extends K8sObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

interface Kustomization extends K8sObject {
  resources?: string[];
}

// ---- loading ----

interface Manifests {
  files: string[];
  objects: K8sObject[];
  /** YAML errors, per file; expected to be empty. */
  errors: string[];
}

function loadManifests(): Manifests {
  const files = readdirSync(MANIFESTS)
    .filter((file) => file.endsWith('.yaml') || file.endsWith('.yml'))
    .sort();
  const objects: K8sObject[] = [];
  const errors: string[] = [];
  for (const file of files) {
    // YAML 1.1, as the API server reads it (sigs.k8s.io/yaml): `0440` is octal, `yes` a boolean.
    const documents = parseAllDocuments(readFileSync(join(MANIFESTS, file), 'utf8'), {
      version: '1.1',
    });
    for (const document of documents) {
      errors.push(...document.errors.map((error) => `${file}: ${error.message}`));
      const value: unknown = document.toJS();
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        errors.push(`${file}: a document is not a mapping`);
        continue;
      }
      objects.push({ ...(value as Omit<K8sObject, 'file'>), file });
    }
  }
  return { files, objects, errors };
}

const manifests = loadManifests();

function all<T extends K8sObject>(kind: string): T[] {
  return manifests.objects.filter((object) => object.kind === kind) as T[];
}

function one<T extends K8sObject>(kind: string, name: string): T {
  const found = all<T>(kind).filter((object) => object.metadata?.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} "${name}" in deploy/kubernetes, found ${found.length}`);
  }
  return found[0];
}

function secret(name: string): Secret | undefined {
  return all<Secret>('Secret').find((object) => object.metadata?.name === name);
}

function secretKeys(object: Secret): string[] {
  return [...Object.keys(object.data ?? {}), ...Object.keys(object.stringData ?? {})];
}

function secretValue(object: Secret, key: string): string | undefined {
  const raw = object.data?.[key];
  return object.stringData?.[key] ?? (raw && Buffer.from(raw, 'base64').toString('utf8'));
}

// ---- the app's side ----

/**
 * The names the app reads: every 'UPPER_CASE' string literal of src/config outside the specs, and
 * Node's NODE_ENV and NODE_OPTIONS.
 */
function envNamesTheAppReads(): Set<string> {
  const names = new Set(['NODE_ENV', 'NODE_OPTIONS']);
  for (const file of readdirSync(CONFIG_SOURCES)) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
    const text = readFileSync(join(CONFIG_SOURCES, file), 'utf8');
    for (const match of text.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)'/g)) names.add(match[1]);
  }
  return names;
}

/** The paths of the committed OpenAPI document that have a GET operation. */
function openApiGetPaths(): Set<string> {
  const document = JSON.parse(readFileSync(resolve(__dirname, '..', 'openapi.json'), 'utf8')) as {
    paths?: Record<string, Record<string, unknown>>;
  };
  return new Set(
    Object.entries(document.paths ?? {})
      .filter(([, operations]) => operations.get !== undefined)
      .map(([path]) => path),
  );
}

// ---- the pod's environment, as the kubelet builds it ----

interface EnvEntry {
  /** Where the value comes from. */
  source: 'literal' | 'configMap' | 'secret' | 'other';
  /** The ConfigMap or Secret. */
  resource?: string;
  /** Known when literal, or from a ConfigMap/Secret present in deploy/kubernetes. */
  value?: string;
}

/** A ConfigMap value as the pod would see it (a non-string fails the YAML test anyway). */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * envFrom in order (a later source wins), then env (wins over envFrom). Names from a Secret that is
 * not in deploy/kubernetes cannot be known and are left out.
 */
function containerEnv(container: Container): Map<string, EnvEntry> {
  const env = new Map<string, EnvEntry>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const configMap = all<ConfigMap>('ConfigMap').find(
        (object) => object.metadata.name === from.configMapRef?.name,
      );
      for (const [key, value] of Object.entries(configMap?.data ?? {})) {
        env.set(prefix + key, {
          source: 'configMap',
          resource: from.configMapRef.name,
          value: text(value),
        });
      }
    }
    if (from.secretRef) {
      const object = secret(from.secretRef.name);
      for (const key of object ? secretKeys(object) : []) {
        env.set(prefix + key, {
          source: 'secret',
          resource: from.secretRef.name,
          value: secretValue(object as Secret, key),
        });
      }
    }
  }
  for (const variable of container.env ?? []) {
    const configMapRef = variable.valueFrom?.configMapKeyRef;
    const secretRef = variable.valueFrom?.secretKeyRef;
    if (variable.valueFrom === undefined) {
      env.set(variable.name, { source: 'literal', value: variable.value ?? '' });
    } else if (configMapRef) {
      const data = all<ConfigMap>('ConfigMap').find(
        (object) => object.metadata.name === configMapRef.name,
      )?.data;
      const value = data?.[configMapRef.key];
      env.set(variable.name, {
        source: 'configMap',
        resource: configMapRef.name,
        value: value === undefined ? undefined : text(value),
      });
    } else if (secretRef) {
      const object = secret(secretRef.name);
      env.set(variable.name, {
        source: 'secret',
        resource: secretRef.name,
        value: object && secretValue(object, secretRef.key),
      });
    } else {
      env.set(variable.name, { source: 'other' });
    }
  }
  return env;
}

/** Known values only (literals and ConfigMap data), as a process environment. */
function knownValues(env: Map<string, EnvEntry>): Record<string, string> {
  return Object.fromEntries(
    [...env]
      .filter(([, entry]) => entry.source !== 'secret' && entry.value !== undefined)
      .map(([name, entry]) => [name, entry.value as string]),
  );
}

// ---- small helpers ----

function selects(selector: Labels | undefined, labels: Labels): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** `--name=N` in a NODE_OPTIONS string, in MB; NaN when absent. */
function nodeFlagMb(options: string, name: string): number {
  return Number(new RegExp(`(?:^|\\s)--${name}=(\\d+)(?:\\s|$)`).exec(options)?.[1] ?? Number.NaN);
}

/** A CPU or memory quantity in base units (cores, bytes); NaN when unreadable. */
function quantity(raw: string | number | undefined): number {
  if (typeof raw === 'number') return raw;
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(raw ?? '');
  if (!match) return Number.NaN;
  const factors: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(match[1]) * (match[2] ? factors[match[2]] : 1);
}

function isInside(file: string, directory: string): boolean {
  const relative = posix.relative(directory, file);
  return relative !== '' && !relative.startsWith('..') && !posix.isAbsolute(relative);
}

// ---- the suite ----

describe('Kubernetes manifests (e2e)', () => {
  const deployment = () => one<Deployment>('Deployment', APP);
  const podSpec = () => deployment().spec.template.spec;
  const podLabels = () => deployment().spec.template.metadata.labels ?? {};
  const containers = () => [...(podSpec().initContainers ?? []), ...podSpec().containers];
  const gateway = () => {
    const [first] = podSpec().containers;
    if (!first) throw new Error(`Deployment ${APP} has no container`);
    return first;
  };
  const env = () => containerEnv(gateway());
  /** Any existing file, so that production mode's "tenant file missing" check passes. */
  const existingFile = join(REPO, 'config', 'tenants.example.yaml');

  /** PORT where the manifests set it, else the app's own default in production. */
  const expectedPort = (): number => {
    const port = knownValues(env()).PORT;
    if (port !== undefined) return Number(port);
    return loadAppConfig({ NODE_ENV: 'production', TENANTS_FILE: existingFile }).port;
  };
  const httpPort = () => gateway().ports?.find((port) => port.name === 'http');

  it('are valid YAML, one object per document, each with a kind and a name', () => {
    const problems = [...manifests.errors];
    expect(manifests.files).toEqual(expect.arrayContaining(['deployment.yaml', 'service.yaml']));
    for (const object of manifests.objects) {
      if (!object.apiVersion || !object.kind) problems.push(`${object.file}: no apiVersion/kind`);
      if (object.kind !== 'Kustomization' && !object.metadata?.name) {
        problems.push(`${object.file}: ${object.kind} without metadata.name`);
      }
    }
    for (const configMap of all<ConfigMap>('ConfigMap')) {
      for (const [key, value] of Object.entries(configMap.data ?? {})) {
        if (typeof value !== 'string') {
          problems.push(
            `ConfigMap ${configMap.metadata.name}: ${key} is a ${typeof value}, Kubernetes wants a string (quote it)`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('kustomization.yaml lists every manifest but the example Secret', () => {
    const kustomization = all<Kustomization>('Kustomization');
    expect(kustomization).toHaveLength(1);
    const listed = kustomization[0].resources ?? [];
    const expected = manifests.files.filter(
      (file) => file !== kustomization[0].file && !/\.example\.ya?ml$/.test(file),
    );
    expect([...listed].sort()).toEqual(expected);
  });

  it('leaves the replica count to the HPA, never fewer during a rollout, in production mode', () => {
    const { spec } = deployment();
    const values = knownValues(env());
    const problems: string[] = [];
    // The HorizontalPodAutoscaler owns the count (minReplicas ≥ 2, checked below): a replicas
    // field here would reset it to that number on every `kubectl apply`.
    if (spec.replicas !== undefined) {
      problems.push(`replicas is set (${spec.replicas}); leave the count to the HPA`);
    }
    if (spec.strategy?.type !== undefined && spec.strategy.type !== 'RollingUpdate') {
      problems.push(`strategy is ${spec.strategy.type}, want RollingUpdate`);
    }
    if (spec.strategy?.rollingUpdate?.maxUnavailable !== 0) {
      problems.push('strategy.rollingUpdate.maxUnavailable must be 0');
    }
    if (!selects(spec.selector.matchLabels, podLabels())) {
      problems.push('spec.selector.matchLabels does not select the pod template labels');
    }
    if (podLabels()['app.kubernetes.io/name'] !== APP) {
      problems.push(`pod label app.kubernetes.io/name is not ${APP}`);
    }
    if (values.NODE_ENV !== 'production') problems.push('NODE_ENV must be production');
    if (values.SANDBOX !== 'false') problems.push('SANDBOX must be false (no built-in simulator)');
    expect(problems).toEqual([]);
  });

  it("names its container port http, on the app's port", () => {
    const port = httpPort();
    const problems: string[] = [];
    if (port === undefined) problems.push('the container has no port named http');
    else if (port.containerPort !== expectedPort()) {
      problems.push(
        `containerPort ${port.containerPort}, but the app listens on ${expectedPort()}`,
      );
    }
    expect(problems).toEqual([]);
  });

  it('probes GET routes of the app, on the http port', () => {
    const routes = openApiGetPaths();
    const container = gateway();
    const problems: string[] = [];
    const probes = {
      livenessProbe: container.livenessProbe,
      readinessProbe: container.readinessProbe,
      startupProbe: container.startupProbe,
    };
    for (const [name, probe] of Object.entries(probes)) {
      if (probe === undefined) {
        if (name !== 'startupProbe') problems.push(`${name} is missing`);
        continue;
      }
      const get = probe.httpGet;
      if (!get?.path) {
        problems.push(`${name} is not an httpGet probe with a path`);
        continue;
      }
      if (!routes.has(get.path)) {
        problems.push(`${name}: ${get.path} is not a GET route in openapi.json`);
      }
      if (get.port !== 'http' && get.port !== httpPort()?.containerPort) {
        problems.push(`${name}: port ${get.port} is not the container port http`);
      }
      if (get.scheme !== undefined && get.scheme !== 'HTTP') {
        problems.push(`${name}: scheme ${get.scheme}, the gateway speaks plain HTTP`);
      }
    }
    // Liveness restarts the pod: it must not fail because Redis does (that is readiness's job).
    if (container.livenessProbe?.httpGet?.path === container.readinessProbe?.httpGet?.path) {
      problems.push('livenessProbe and readinessProbe use the same path');
    }
    expect(problems).toEqual([]);
  });

  it('routes the Service, PDB, HPA and spread constraints to these pods', () => {
    const problems: string[] = [];
    const service = one<Service>('Service', APP);
    if (!selects(service.spec.selector, podLabels())) {
      problems.push(`Service ${APP}: selector does not match the pod labels`);
    }
    for (const port of service.spec.ports) {
      const target = port.targetPort ?? port.port;
      const resolved =
        typeof target === 'string'
          ? gateway().ports?.find((candidate) => candidate.name === target)?.containerPort
          : target;
      if (resolved !== expectedPort()) {
        problems.push(`Service port ${port.port}: targetPort ${target} is not the http port`);
      }
    }
    for (const pdb of all<PodDisruptionBudget>('PodDisruptionBudget')) {
      if (pdb.spec.selector?.matchExpressions?.length) {
        problems.push(`PDB ${pdb.metadata.name}: use matchLabels only`);
      }
      if (!selects(pdb.spec.selector?.matchLabels, podLabels())) {
        problems.push(`PDB ${pdb.metadata.name}: selector does not match the pod labels`);
      }
    }
    if (all('PodDisruptionBudget').length === 0) problems.push('no PodDisruptionBudget');
    const hpa = one<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', APP);
    const target = hpa.spec.scaleTargetRef;
    if (target.kind !== 'Deployment' || target.name !== APP || target.apiVersion !== 'apps/v1') {
      problems.push(
        `HPA scaleTargetRef is ${JSON.stringify(target)}, want apps/v1 Deployment ${APP}`,
      );
    }
    if ((hpa.spec.minReplicas ?? 1) < 2) problems.push('HPA minReplicas must be 2 or more');
    if (hpa.spec.maxReplicas < (hpa.spec.minReplicas ?? 1)) {
      problems.push('HPA maxReplicas is below minReplicas');
    }
    for (const constraint of podSpec().topologySpreadConstraints ?? []) {
      if (!selects(constraint.labelSelector?.matchLabels, podLabels())) {
        problems.push('a topologySpreadConstraint does not select these pods');
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs as a non-root user, read-only, with no privileges', () => {
    const pod = podSpec().securityContext ?? {};
    const problems: string[] = [];
    if (podSpec().automountServiceAccountToken !== false) {
      problems.push('automountServiceAccountToken must be false');
    }
    for (const container of containers()) {
      const own = container.securityContext ?? {};
      const say = (text: string) => problems.push(`container ${container.name}: ${text}`);
      if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true) say('runAsNonRoot must be true');
      const user = own.runAsUser ?? pod.runAsUser;
      if (user === undefined || user === 0) say(`runAsUser must be set and not 0 (is ${user})`);
      if (own.readOnlyRootFilesystem !== true) say('readOnlyRootFilesystem must be true');
      if (own.allowPrivilegeEscalation !== false) say('allowPrivilegeEscalation must be false');
      if (own.privileged === true) say('must not be privileged');
      if (!own.capabilities?.drop?.includes('ALL')) say('capabilities.drop must include ALL');
      if (own.capabilities?.add?.length) say(`adds capabilities ${own.capabilities.add.join()}`);
      if ((own.seccompProfile ?? pod.seccompProfile)?.type !== 'RuntimeDefault') {
        say('seccompProfile must be RuntimeDefault');
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives every container cpu and memory requests and limits', () => {
    const problems: string[] = [];
    for (const container of containers()) {
      for (const resource of ['cpu', 'memory']) {
        const request = quantity(container.resources?.requests?.[resource]);
        const limit = quantity(container.resources?.limits?.[resource]);
        if (!(request > 0)) problems.push(`container ${container.name}: no ${resource} request`);
        if (!(limit > 0)) problems.push(`container ${container.name}: no ${resource} limit`);
        if (request > limit) {
          problems.push(`container ${container.name}: ${resource} request above its limit`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("sizes Node's heap inside the memory limit, as the image and the benchmark do", () => {
    const nodeOptions = knownValues(env()).NODE_OPTIONS ?? '';
    const oldSpaceMb = nodeFlagMb(nodeOptions, 'max-old-space-size');
    const semiSpaceMb = nodeFlagMb(nodeOptions, 'max-semi-space-size');
    const limitMb = quantity(gateway().resources?.limits?.memory) / 2 ** 20;
    const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
    const imageOptions = /NODE_OPTIONS=(\S+)/.exec(dockerfile)?.[1] ?? '';
    const problems: string[] = [];
    if (!(oldSpaceMb > 0)) problems.push('NODE_OPTIONS sets no --max-old-space-size');
    // With the ~1 MB semi-space Node derives from a 384Mi limit, the young generation is collected
    // so often that throughput drops by about 40% (bench/NOTES.md, "Memory").
    if (!(semiSpaceMb >= 16)) problems.push('NODE_OPTIONS sets no --max-semi-space-size of 16+');
    // V8's whole heap is the old generation plus three semi-spaces; the rest of the process
    // (code, sockets, buffers) needs about a fifth of the limit.
    const heapMb = oldSpaceMb + 3 * semiSpaceMb;
    if (!(heapMb <= 0.8 * limitMb)) {
      problems.push(`a heap of ${heapMb} MB leaves too little of the ${limitMb} Mi limit`);
    }
    if (nodeFlagMb(imageOptions, 'max-semi-space-size') !== semiSpaceMb) {
      problems.push(`the Dockerfile's NODE_OPTIONS (${imageOptions}) sets another semi-space`);
    }
    if (POD_HEAP_FLAGS.join(' ') !== nodeOptions) {
      problems.push(`bench/lib/stack.js measures ${POD_HEAP_FLAGS.join(' ')}, not the pod's heap`);
    }
    expect(problems).toEqual([]);
  });

  it('reads the tenant file from a read-only Secret volume', () => {
    const file = env().get('TENANTS_FILE')?.value;
    if (!file?.startsWith('/')) {
      throw new Error(`TENANTS_FILE must be an absolute path set in the manifests (is ${file})`);
    }
    const mount = (gateway().volumeMounts ?? [])
      .filter((candidate) =>
        candidate.subPath ? candidate.mountPath === file : isInside(file, candidate.mountPath),
      )
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    if (!mount) throw new Error(`TENANTS_FILE ${file} is not inside any volumeMount`);
    const volume = podSpec().volumes?.find((candidate) => candidate.name === mount.name);
    const problems: string[] = [];
    if (mount.readOnly !== true) problems.push(`volumeMount ${mount.name} must be readOnly`);
    if (volume?.secret?.secretName !== TENANTS_SECRET) {
      problems.push(`TENANTS_FILE ${file} is not on a volume of the Secret ${TENANTS_SECRET}`);
    } else {
      // The file name inside the volume: an item's path, or the key itself.
      const inVolume = mount.subPath ?? posix.relative(mount.mountPath, file);
      const items = volume.secret.items;
      const key = items ? items.find((item) => item.path === inVolume)?.key : inVolume;
      if (key === undefined) problems.push(`no item of the Secret volume is at ${inVolume}`);
      const example = secret(TENANTS_SECRET);
      if (example && key !== undefined && !secretKeys(example).includes(key)) {
        problems.push(`secret.example.yaml: ${TENANTS_SECRET} has no key ${key}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('takes REDIS_URL from a ConfigMap or a Secret, never inline', () => {
    const problems: string[] = [];
    const inline = gateway().env?.find((variable) => variable.name === 'REDIS_URL');
    if (inline && inline.valueFrom === undefined) {
      problems.push('REDIS_URL is inline in the Deployment; use a ConfigMap or a Secret');
    }
    // Several replicas share rate limits and idempotency records only through Redis.
    const source = env().get('REDIS_URL')?.source;
    if (source !== 'configMap' && source !== 'secret') {
      problems.push(`REDIS_URL must come from a ConfigMap or a Secret (comes from: ${source})`);
    }
    expect(problems).toEqual([]);
  });

  it('sets only environment variables the app (src/config) or Node reads, and Blooio keys', () => {
    const known = envNamesTheAppReads();
    const blooioKeys = new Set(
      secret(BLOOIO_KEYS_SECRET) ? secretKeys(secret(BLOOIO_KEYS_SECRET) as Secret) : [],
    );
    const problems: string[] = [];
    const check = (name: string, where: string) => {
      if (!known.has(name)) problems.push(`${name} (${where}) is not read by src/config`);
    };
    for (const variable of gateway().env ?? []) {
      if (variable.valueFrom?.secretKeyRef?.name === BLOOIO_KEYS_SECRET) continue;
      check(variable.name, 'Deployment env');
    }
    for (const configMap of all<ConfigMap>('ConfigMap')) {
      for (const name of Object.keys(configMap.data ?? {})) {
        check(name, `ConfigMap ${configMap.metadata.name}`);
      }
    }
    for (const [name, entry] of env()) {
      if (entry.source === 'secret' && entry.resource === BLOOIO_KEYS_SECRET) continue;
      if (entry.source === 'secret' && blooioKeys.has(name)) continue;
      if (entry.source === 'secret') check(name, `Secret ${entry.resource}`);
    }
    expect([...new Set(problems)]).toEqual([]);
  });

  it("passes the app's own validation with the ConfigMap's values", async () => {
    const values = { ...knownValues(env()), TENANTS_FILE: existingFile };
    const problems: string[] = [];
    const loaders: string[] = [];
    for (const file of readdirSync(CONFIG_SOURCES)) {
      if (!file.endsWith('.config.ts')) continue;
      const module = (await import(join(CONFIG_SOURCES, file))) as Record<string, unknown>;
      for (const [name, load] of Object.entries(module)) {
        if (typeof load !== 'function' || !/^load[A-Z]\w*Config$/.test(name)) continue;
        loaders.push(name);
        try {
          (load as (env: NodeJS.ProcessEnv) => unknown)(values);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          problems.push(...error.problems.map((problem) => `${name}: ${problem}`));
        }
      }
    }
    expect(loaders).toEqual(expect.arrayContaining(['loadAppConfig', 'loadRedisConfig']));
    expect(problems).toEqual([]);
  });

  it('finds every ConfigMap it uses here, and every Secret it needs in the example', () => {
    const problems: string[] = [];
    const configMaps = new Set(all<ConfigMap>('ConfigMap').map((object) => object.metadata.name));
    const needed = new Map<string, boolean>(); // Secret name -> optional
    for (const from of gateway().envFrom ?? []) {
      if (from.configMapRef && !configMaps.has(from.configMapRef.name)) {
        problems.push(`envFrom: no ConfigMap ${from.configMapRef.name} in deploy/kubernetes`);
      }
      if (from.secretRef) needed.set(from.secretRef.name, from.secretRef.optional === true);
    }
    for (const variable of gateway().env ?? []) {
      const { configMapKeyRef, secretKeyRef } = variable.valueFrom ?? {};
      if (configMapKeyRef && !configMaps.has(configMapKeyRef.name)) {
        problems.push(
          `${variable.name}: no ConfigMap ${configMapKeyRef.name} in deploy/kubernetes`,
        );
      }
      if (secretKeyRef) needed.set(secretKeyRef.name, secretKeyRef.optional === true);
    }
    for (const volume of podSpec().volumes ?? []) {
      if (volume.secret) needed.set(volume.secret.secretName, false);
      if (volume.configMap && !configMaps.has(volume.configMap.name)) {
        problems.push(`volume ${volume.name}: no ConfigMap ${volume.configMap.name}`);
      }
    }
    for (const [name, optional] of needed) {
      if (!optional && !secret(name)) problems.push(`Secret ${name} is not in secret.example.yaml`);
    }
    expect(problems).toEqual([]);
  });

  it('gives the tenant file every Blooio key it names (example Secrets)', () => {
    const tenants = secret(TENANTS_SECRET);
    const keys = secret(BLOOIO_KEYS_SECRET);
    if (!tenants || !keys) {
      throw new Error(`secret.example.yaml must show ${TENANTS_SECRET} and ${BLOOIO_KEYS_SECRET}`);
    }
    const file = secretValue(tenants, 'tenants.yaml') ?? '';
    const referenced = [...file.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
    const problems = referenced
      .filter((name) => !secretKeys(keys).includes(name))
      .map((name) => `tenants.yaml names \${${name}}, but ${BLOOIO_KEYS_SECRET} has no such key`);
    const fromKeys =
      gateway().envFrom?.some((from) => from.secretRef?.name === BLOOIO_KEYS_SECRET) ||
      gateway().env?.some(
        (variable) => variable.valueFrom?.secretKeyRef?.name === BLOOIO_KEYS_SECRET,
      );
    if (!fromKeys) problems.push(`the container does not read the Secret ${BLOOIO_KEYS_SECRET}`);
    expect(problems).toEqual([]);
  });

  it('outlasts the shutdown delay and grace period before SIGKILL', () => {
    const values = knownValues(env());
    const delay = Number(values.SHUTDOWN_DELAY_MS ?? 0);
    const grace = Number(values.SHUTDOWN_GRACE_MS ?? 10_000);
    const seconds = podSpec().terminationGracePeriodSeconds ?? 30;
    const problems =
      seconds * 1000 > delay + grace
        ? []
        : [
            `terminationGracePeriodSeconds ${seconds} is not above ` +
              `SHUTDOWN_DELAY_MS ${delay} + SHUTDOWN_GRACE_MS ${grace}`,
          ];
    expect(problems).toEqual([]);
  });

  it('asks Prometheus to scrape /metrics on the http port', () => {
    const annotations = deployment().spec.template.metadata.annotations ?? {};
    expect({
      scrape: annotations['prometheus.io/scrape'],
      port: annotations['prometheus.io/port'],
      path: annotations['prometheus.io/path'],
    }).toEqual({ scrape: 'true', port: String(httpPort()?.containerPort), path: '/metrics' });
  });

  it('points REDIS_URL at a Redis this folder starts, so that applying it as is gives Ready pods', () => {
    // /health/ready is 503 while Redis does not answer: a REDIS_URL naming a host that nothing here
    // (or nothing at all) serves leaves every pod out of the Service for ever.
    const entry = env().get('REDIS_URL');
    const problems: string[] = [];
    if (entry?.source !== 'configMap' || entry.value === undefined) {
      throw new Error(
        'the ConfigMap must set REDIS_URL (the Secret blooio-gateway-redis may override it)',
      );
    }
    const url = new URL(entry.value);
    const [host, namespace] = url.hostname.split('.');
    if (namespace !== undefined && namespace !== 'svc') {
      problems.push(`REDIS_URL host ${url.hostname} is in another namespace than the pods`);
    }
    const port = Number(url.port || 6379);
    const service = all<Service>('Service').find((object) => object.metadata.name === host);
    if (!service) {
      problems.push(`REDIS_URL names ${host}, but no Service of deploy/kubernetes has that name`);
    } else {
      const workloads = [...all<Workload>('StatefulSet'), ...all<Workload>('Deployment')].filter(
        (workload) => selects(service.spec.selector, workload.spec.template.metadata.labels ?? {}),
      );
      if (workloads.length !== 1) {
        problems.push(`Service ${host} selects ${workloads.length} workloads, want the Redis one`);
      }
      const servicePort = service.spec.ports.find((candidate) => candidate.port === port);
      if (!servicePort) problems.push(`Service ${host} has no port ${port}`);
      for (const workload of workloads) {
        const [redis] = workload.spec.template.spec.containers;
        const target = servicePort?.targetPort ?? port;
        const resolved = redis?.ports?.find((candidate) =>
          typeof target === 'string'
            ? candidate.name === target
            : candidate.containerPort === target,
        );
        if (!resolved)
          problems.push(`${workload.kind} ${workload.metadata.name}: no container port ${target}`);
        if (!redis?.readinessProbe)
          problems.push(`${workload.kind} ${workload.metadata.name}: no readinessProbe`);
        if ((workload.spec.replicas ?? 1) < 1)
          problems.push(`${workload.metadata.name}: no replicas`);
        // A PersistentVolumeClaim waits for a StorageClass that not every cluster has.
        for (const volume of workload.spec.template.spec.volumes ?? []) {
          if ('persistentVolumeClaim' in volume)
            problems.push(`${volume.name}: needs a StorageClass`);
        }
        if ('volumeClaimTemplates' in workload.spec) {
          problems.push(`${workload.metadata.name}: volumeClaimTemplates need a StorageClass`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs the Redis it ships non-root, read-only, unprivileged, with requests and limits', () => {
    const problems: string[] = [];
    const redis = all<Workload>('StatefulSet');
    expect(redis.map((workload) => workload.metadata.name)).toEqual(['blooio-gateway-redis']);
    for (const workload of redis) {
      const pod = workload.spec.template.spec;
      const say = (text: string) => problems.push(`${workload.metadata.name}: ${text}`);
      if (pod.automountServiceAccountToken !== false)
        say('automountServiceAccountToken must be false');
      for (const container of pod.containers) {
        const own = container.securityContext ?? {};
        const podContext = pod.securityContext ?? {};
        if ((own.runAsNonRoot ?? podContext.runAsNonRoot) !== true)
          say('runAsNonRoot must be true');
        if (!(own.runAsUser ?? podContext.runAsUser)) say('runAsUser must be set and not 0');
        if (own.readOnlyRootFilesystem !== true) say('readOnlyRootFilesystem must be true');
        if (own.allowPrivilegeEscalation !== false) say('allowPrivilegeEscalation must be false');
        if (!own.capabilities?.drop?.includes('ALL')) say('capabilities.drop must include ALL');
        for (const kind of ['requests', 'limits'] as const) {
          for (const resource of ['cpu', 'memory']) {
            if (!(quantity(container.resources?.[kind]?.[resource]) > 0)) {
              say(`${kind}.${resource} is missing`);
            }
          }
        }
        if (/:latest$|^[^:]+$/.test((container as { image?: string }).image ?? '')) {
          say('pin the image tag (never latest)');
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('serves no Swagger UI in production', () => {
    expect(knownValues(env()).DOCS_ENABLED).toBe('false');
  });

  it('mounts every apiKeyFile the example tenant files name, from the Blooio keys Secret', () => {
    const examples: [string, string][] = [
      [
        'config/tenants.example.yaml',
        readFileSync(join(REPO, 'config', 'tenants.example.yaml'), 'utf8'),
      ],
      [
        `secret.example.yaml (${TENANTS_SECRET})`,
        secretValue(secret(TENANTS_SECRET) as Secret, 'tenants.yaml') ?? '',
      ],
    ];
    const problems: string[] = [];
    let files = 0;
    for (const [where, yaml] of examples) {
      const document = parseYaml(yaml) as { tenants: { blooio: { apiKeyFile?: string } }[] };
      for (const tenant of document.tenants) {
        const file = tenant.blooio.apiKeyFile;
        if (file === undefined) continue;
        files += 1;
        const mount = (gateway().volumeMounts ?? []).find((candidate) =>
          isInside(file, candidate.mountPath),
        );
        const volume = podSpec().volumes?.find((candidate) => candidate.name === mount?.name);
        if (!mount || !volume?.secret) {
          problems.push(`${where}: apiKeyFile ${file} is not on a Secret volume of the pods`);
          continue;
        }
        if (mount.readOnly !== true) problems.push(`volumeMount ${mount.name} must be readOnly`);
        const inVolume = posix.relative(mount.mountPath, file);
        const items = volume.secret.items;
        const key = items ? items.find((item) => item.path === inVolume)?.key : inVolume;
        const example = secret(volume.secret.secretName);
        if (!example || key === undefined || !secretKeys(example).includes(key)) {
          problems.push(
            `${where}: apiKeyFile ${file} is no key of the Secret ${volume.secret.secretName}`,
          );
        }
      }
    }
    expect(files).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('keeps the example Secret an example', () => {
    const examples = manifests.files.filter((file) => /\.example\.ya?ml$/.test(file));
    const problems: string[] = [];
    for (const file of examples) {
      const text = readFileSync(join(MANIFESTS, file), 'utf8');
      if (!/EXAMPLE/.test(text)) problems.push(`${file} does not say it is an EXAMPLE`);
      // Only all-zero hashes: a real key's hash must never land here.
      for (const match of text.matchAll(/sha256:\s*"?([0-9a-fA-F]{64})"?/g)) {
        if (match[1] !== '0'.repeat(64)) problems.push(`${file}: sha256 ${match[1]} is not zeros`);
      }
    }
    for (const object of all<Secret>('Secret')) {
      if (!/\.example\.ya?ml$/.test(object.file)) {
        problems.push(`${object.file}: Secret ${object.metadata.name} outside an example file`);
      }
    }
    expect(problems).toEqual([]);
  });
});
