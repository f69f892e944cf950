package reference

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const repoRoot = "../.."

// TestPagesAreFresh fails when a setting, a make target or a package changed without make docs.
func TestPagesAreFresh(t *testing.T) {
	pages, err := Pages(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if err := Stale(repoRoot, pages); err != nil {
		t.Fatal(err)
	}
}

// TestStaleNamesThePage: a page that differs from what the code says is named, with the fix.
func TestStaleNamesThePage(t *testing.T) {
	pages, err := Pages(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(root, pages); err != nil {
		t.Fatal(err)
	}
	if err := Stale(root, pages); err != nil {
		t.Fatalf("just written: %v", err)
	}
	edited := filepath.Join(root, "docs", "settings.md")
	b, _ := os.ReadFile(edited)
	os.WriteFile(edited, []byte(strings.Replace(string(b), "scaling.minTasks", "scaling.minimumTasks", 1)), 0o644)
	err = Stale(root, pages)
	if err == nil || !strings.Contains(err.Error(), "docs/settings.md is stale: run make docs") {
		t.Errorf("an edited settings page: %v", err)
	}
}

// TestSettingsPage: every key is there with its values and rules, from the code.
func TestSettingsPage(t *testing.T) {
	b, err := settingsPage(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| `scaling.minTasks` | integer | `1` | `2` | `3` |",
		"*Rules:* at least 1 task must run behind the load balancer",
		"| `drain.shutdownBudgetSeconds` | integer |",
		"the app's drain budget plus a N s margin must fit in drain.stopTimeoutSeconds (N)",
		"NatGateways is the NAT count of a new VPC.",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the settings page lacks %q", want)
		}
	}
}

func TestCommandsPage(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "Makefile"), []byte(`STAGES := dev
##@ Local
.PHONY: synth
synth: ## synthesize | everything
	@true
helper:
	@true
##@ AWS
deploy: check-stage ## deploy STAGE
`), 0o644)
	b, err := commandsPage(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Local\n\n| target | what |", "| `make synth` | synthesize \\| everything |", "## AWS\n\n| target | what |\n| --- | --- |\n| `make deploy` | deploy STAGE |"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("commands page lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "helper") || strings.Contains(string(b), "STAGES") {
		t.Errorf("an undocumented target or a variable is listed:\n%s", b)
	}
}

func TestPackagesPage(t *testing.T) {
	b, err := packagesPage(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| `infra/reference` | Package reference generates the reference pages under docs/", "| `app/vsync` |"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("packages page lacks %q", want)
		}
	}
}
