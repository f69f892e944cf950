#!/usr/bin/env node
// Evaluates IAM requests against identity policies and a permissions boundary with
// @cloud-copilot/iam-simulate (a test-only devDependency: AGPL-3.0, never shipped).
//
//   node scripts/iam-eval.mjs < requests.json
//
// stdin: [{"name", "principal", "action", "resource", "accountId", "context": {key: value},
//          "identityPolicies": [{"name", "policy"}], "boundaries": [{"name", "policy"}],
//          "resourcePolicy": {...} (optional)}]
// stdout: [{"name", "result": "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied"|"Error",
//           "error": "...", "ignoredContextKeys": [...]}], in the order of the input.
// A request the simulator cannot evaluate (an unknown action, a malformed policy, a context
// key the action does not take) is reported as "Error", never as a denial.
import { runSimulation } from '@cloud-copilot/iam-simulate';

const input = await new Promise((resolve, reject) => {
  let data = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => { data += chunk; });
  process.stdin.on('end', () => resolve(data));
  process.stdin.on('error', reject);
});

let requests;
try {
  requests = JSON.parse(input);
} catch (err) {
  console.error(`iam-eval: stdin is not JSON (${err.message}); pass an array of requests`);
  process.exit(2);
}

const out = [];
for (const r of requests) {
  const result = await runSimulation({
    request: {
      principal: r.principal,
      action: r.action,
      resource: { resource: r.resource, accountId: r.accountId },
      contextVariables: r.context ?? {},
    },
    identityPolicies: r.identityPolicies ?? [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    permissionBoundaryPolicies: r.boundaries ?? [],
    resourcePolicy: r.resourcePolicy,
  }, {});
  if (result.resultType === 'error') {
    out.push({ name: r.name, result: 'Error', error: JSON.stringify(result.errors) });
    continue;
  }
  const ignored = result.resultType === 'single'
    ? result.result.ignoredContextKeys ?? []
    : result.results.flatMap((x) => x.ignoredContextKeys ?? []);
  out.push({ name: r.name, result: result.overallResult, ignoredContextKeys: ignored });
}
process.stdout.write(JSON.stringify(out));
