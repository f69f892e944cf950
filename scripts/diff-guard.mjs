#!/usr/bin/env node
// Fails when a change would replace or destroy a resource that carries state or identity
// (log groups, secrets, the load balancer, the cluster, roles, buckets, keys, the VPC, the
// database and its subnet group), using
// the CDK's own diff engine and its replacement rules.
//
//   node scripts/diff-guard.mjs DEPLOYED.json SYNTHESIZED.json
//
// DEPLOYED.json may be missing or empty (a stack not deployed yet). ALLOW_REPLACEMENT=true
// reports the findings but exits 0 (a pull request labelled allow-replacement).
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const { fullDiff } = createRequire(import.meta.url)('@aws-cdk/cloudformation-diff');

const PROTECTED = new Set([
  'AWS::Logs::LogGroup', 'AWS::SecretsManager::Secret', 'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ECS::Cluster', 'AWS::IAM::Role', 'AWS::IAM::OIDCProvider', 'AWS::S3::Bucket', 'AWS::KMS::Key',
  'AWS::EC2::VPC',
  'AWS::RDS::DBCluster', 'AWS::RDS::DBInstance', 'AWS::RDS::DBSubnetGroup',
]);
const HARMFUL = new Set(['WILL_REPLACE', 'MAY_REPLACE', 'WILL_DESTROY']);

function load(path) {
  if (!path || !existsSync(path)) return {};
  const text = readFileSync(path, 'utf8').trim();
  return text ? JSON.parse(text) : {};
}

const [deployedPath, synthesizedPath] = process.argv.slice(2);
if (!synthesizedPath) {
  console.error('usage: diff-guard.mjs DEPLOYED.json SYNTHESIZED.json');
  process.exit(2);
}
const findings = [];
fullDiff(load(deployedPath), load(synthesizedPath)).resources.forEachDifference((id, change) => {
  const type = change.resourceType ?? change.oldResourceType;
  if (PROTECTED.has(type) && HARMFUL.has(change.changeImpact)) {
    findings.push(`${id} (${type}): ${change.changeImpact.toLowerCase().replace('_', ' ')}`);
  }
});
if (findings.length === 0) {
  console.log('diff-guard: no stateful or identity-carrying resource is replaced or destroyed');
  process.exit(0);
}
console.log(`diff-guard: ${findings.length} stateful or identity-carrying resource(s) would be replaced or destroyed:`);
for (const f of findings) console.log(`  - ${f}`);
if (process.env.ALLOW_REPLACEMENT === 'true') {
  console.log('diff-guard: allowed by the allow-replacement label');
  process.exit(0);
}
console.log('diff-guard: if this is intended, add the label allow-replacement to the pull request');
process.exit(1);
