#!/usr/bin/env node
// Fails when a change would replace or destroy a resource whose replacement or deletion loses
// data, identity or reachability, using the CDK's own diff engine and its replacement rules.
//
//   node scripts/diff-guard.mjs DEPLOYED.json SYNTHESIZED.json
//
// DEPLOYED.json may be missing or empty (a stack not deployed yet). ALLOW_REPLACEMENT=true
// reports the findings but exits 0 (a pull request labelled allow-replacement).
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const { fullDiff } = createRequire(import.meta.url)('@aws-cdk/cloudformation-diff');

// What each type loses when it is replaced or destroyed.
const PROTECTED = new Map([
  // data
  ['AWS::Logs::LogGroup', 'its log events'],
  ['AWS::S3::Bucket', 'its objects'],
  ['AWS::SecretsManager::Secret', 'its secret value (readers hold its ARN)'],
  ['AWS::KMS::Key', 'the data encrypted under it'],
  ['AWS::RDS::DBCluster', 'its databases'],
  ['AWS::RDS::DBInstance', 'its databases'],
  ['AWS::RDS::DBSubnetGroup', 'the database placement (a new group replaces the database)'],
  // identity
  ['AWS::IAM::Role', 'its role ID (trust and resource policies name it)'],
  ['AWS::IAM::User', 'its access keys and every credential minted from them'],
  ['AWS::IAM::AccessKey', 'the key ID and secret deployed readers use'],
  ['AWS::IAM::OIDCProvider', 'the trust of every role that federates through it'],
  ['AWS::CertificateManager::Certificate', 'the validated certificate the listeners serve'],
  // reachability
  ['AWS::EC2::VPC', 'every network in it'],
  ['AWS::EC2::EIP', 'its public address (allowlisted by others)'],
  ['AWS::ECS::Cluster', 'the running service'],
  ['AWS::ECS::Service', 'the running tasks (a new service starts from zero)'],
  ['AWS::ElasticLoadBalancingV2::LoadBalancer', 'its DNS name'],
  ['AWS::ElasticLoadBalancingV2::Listener', 'traffic on its port while it is recreated'],
  ['AWS::ElasticLoadBalancingV2::TargetGroup', 'the registered targets and the listener rules that forward to it'],
  ['AWS::Route53::RecordSet', 'the name while it is recreated'],
  ['AWS::SNS::Topic', 'its subscriptions (confirmed e-mail and pager endpoints)'],
  ['AWS::WAFv2::WebACL', 'the protection of the load balancer while it is recreated'],
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
    findings.push(`${id} (${type}): ${change.changeImpact.toLowerCase().replace('_', ' ')}, losing ${PROTECTED.get(type)}`);
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
