#!/usr/bin/env node
// Prints the CDK's own diff of two CloudFormation templates, as `cdk diff` formats it, without
// colours. Either file may be missing or empty (a stack added or removed).
//
//   node scripts/template-diff.mjs OLD.json NEW.json
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const { fullDiff, formatDifferences } = createRequire(import.meta.url)('@aws-cdk/cloudformation-diff');

function load(path) {
  if (!path || !existsSync(path)) return {};
  const text = readFileSync(path, 'utf8').trim();
  return text ? JSON.parse(text) : {};
}

const [oldPath, newPath] = process.argv.slice(2);
if (!newPath) {
  console.error('usage: template-diff.mjs OLD.json NEW.json');
  process.exit(2);
}
const diff = fullDiff(load(oldPath), load(newPath));
if (diff.isEmpty) {
  console.log('no differences');
  process.exit(0);
}
const chunks = [];
formatDifferences({ write: (chunk) => { chunks.push(String(chunk)); return true; } }, diff);
// formatDifferences colours its output with chalk; a pull-request comment wants plain text.
console.log(chunks.join('').replace(/\u001b\[[0-9;]*m/g, '').trimEnd());
