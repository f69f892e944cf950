package cost

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReadAssemblyOrder: stages come in the app's order, not the directory's (which sorts
// prod before staging).
func TestReadAssemblyOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("manifest.json", `{"version": "48.0.0", "artifacts": {
  "assembly-dev": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-dev"}},
  "assembly-staging": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-staging"}},
  "assembly-prod": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-prod"}},
  "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}}`)
	for _, s := range []string{"dev", "staging", "prod"} {
		write("assembly-"+s+"/manifest.json", `{"artifacts": {"`+s+`Service": {"type": "aws:cloudformation:stack",
  "environment": "aws://123456789012/eu-west-1", "properties": {"templateFile": "t.json"}}}}`)
		write("assembly-"+s+"/t.json", `{"Resources": {}}`)
	}
	stages, err := ReadAssembly(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range stages {
		names = append(names, s.Name)
	}
	if want := []string{"dev", "staging", "prod"}; !slices.Equal(names, want) {
		t.Errorf("stages %v, want %v", names, want)
	}
}

func TestReadAssemblyWithoutManifest(t *testing.T) {
	if _, err := ReadAssembly(t.TempDir()); err == nil {
		t.Error("an empty directory read as an assembly")
	}
}
