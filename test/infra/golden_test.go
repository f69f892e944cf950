package infra

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/keelstack/keel/test/internal/testenv"
)

// assetHash matches the content hashes that move when only the app's source changes.
var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// normalize drops what changes without a change to the infrastructure: the image asset hash,
// the bootstrap version check, and the CDK's analytics metadata.
func normalize(tp template) []byte {
	b, _ := json.Marshal(tp)
	var out map[string]any
	_ = json.Unmarshal(assetHash.ReplaceAll(b, []byte("<asset-hash>")), &out)
	if params, ok := out["Parameters"].(map[string]any); ok {
		delete(params, "BootstrapVersion")
		if len(params) == 0 {
			delete(out, "Parameters")
		}
	}
	delete(out, "Rules")
	delete(out["Resources"].(map[string]any), "CDKMetadata")
	delete(out, "Conditions") // only CDKMetadata's region condition lives there
	var pretty bytes.Buffer
	enc := json.NewEncoder(&pretty)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
	return pretty.Bytes()
}

func TestGolden(t *testing.T) {
	s := app(t)
	for _, name := range []string{"dev", "staging", "prod", "dev-github", "staging-github", "prod-github", "dev-bootstrap", "staging-bootstrap", "prod-bootstrap", "dev-foundation", "staging-foundation", "prod-foundation"} {
		t.Run(name, func(t *testing.T) {
			tp := s.templates[name]
			if stageName, ok := strings.CutSuffix(name, "-github"); ok {
				tp = s.github[stageName]
			}
			if stageName, ok := strings.CutSuffix(name, "-bootstrap"); ok {
				tp = s.bootstrap[stageName]
			}
			if stageName, ok := strings.CutSuffix(name, "-foundation"); ok {
				tp = s.foundation[stageName]
			}
			got := normalize(tp)
			want := testenv.WriteOrCompare(t, filepath.Join("testdata", name+".golden.json"), got)
			if bytes.Equal(got, want) {
				return
			}
			var g, w any
			_ = json.Unmarshal(got, &g)
			_ = json.Unmarshal(want, &w)
			t.Fatalf("%s template differs from its golden file (-golden +synthesized); if the change is intended, run go test ./... -update:\n%s", name, cmp.Diff(w, g))
		})
	}
}
