package infra

import (
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

// TestProdAccountAlone: synth refuses prod in an account another stage deploys to, unless the
// loudly named opt-out is set, which then shows as a warning; the defaults' documentation
// account still synthesizes.
func TestProdAccountAlone(t *testing.T) {
	const shared = "210987654321"
	provider := map[string]any{"oidcProviderArn": settings.GitHubProviderARN(shared)}
	layout := func(prodExtra map[string]any) map[string]any {
		p := map[string]any{"account": shared, "github": provider}
		for k, v := range prodExtra {
			p[k] = v
		}
		return map[string]any{"keel:dev": map[string]any{"account": shared}, "keel:prod": p}
	}
	_, err := settings.FromContext(layout(nil))
	if err == nil || !strings.Contains(err.Error(), "keel:prod.account = 210987654321 is also the account of dev") || !strings.Contains(err.Error(), "keel:prod.sharedAccountWithStages = true") {
		t.Errorf("prod sharing dev's account was accepted or badly reported: %v", err)
	}
	stages, err := settings.FromContext(layout(map[string]any{"sharedAccountWithStages": true}))
	if err != nil {
		t.Fatalf("the opt-out is not accepted: %v", err)
	}
	if w := settings.AccountWarnings(stages); len(w) != 1 || !strings.Contains(w[0], "keel:prod.sharedAccountWithStages = true") {
		t.Errorf("the opt-out is not shown as a warning: %q", w)
	}
	_, err = settings.FromContext(map[string]any{"keel:dev": map[string]any{"sharedAccountWithStages": true}})
	if err == nil || !strings.Contains(err.Error(), "keel:dev.sharedAccountWithStages = true: only prod's is read") {
		t.Errorf("the opt-out on dev was accepted or badly reported: %v", err)
	}
	if _, err := settings.FromContext(map[string]any{"keel:prod": map[string]any{"account": shared, "github": map[string]any{"oidcProviderArn": ""}}}); err != nil {
		t.Errorf("prod in its own account is refused: %v", err)
	}
	if _, err := settings.FromContext(map[string]any{}); err != nil {
		t.Errorf("the defaults (every stage in the documentation account) are refused: %v", err)
	}
}
