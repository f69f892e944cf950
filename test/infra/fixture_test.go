package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/stage"
	"github.com/keelstack/keel/test/internal/testenv"
)

// synthesized is an app built from cdk.json's context (plus overrides), synthesized.
type synthesized struct {
	outdir    string
	built     map[string]stage.Built
	templates map[string]template // the service stack's, by stage
	github    map[string]template // the GitHub roles stack's, by stage
	bootstrap map[string]template // the bootstrap policies stack's, by stage
	// foundation holds the foundation stack's template of each stage that has one.
	foundation map[string]template
}

var testBuildArgs = map[string]string{"VERSION": "test", "COMMIT": "test", "BUILD_DATE": "test"}

// synth builds and synthesizes the app into a new directory under os.TempDir (TestMain's
// cleanup removes it).
func synth(overrides map[string]any) (*synthesized, error) {
	root, err := testenv.FindRepoRoot()
	if err != nil {
		return nil, err
	}
	context, err := testenv.ReadCDKContext(root)
	if err != nil {
		return nil, err
	}
	maps.Copy(context, overrides)
	outdir, err := os.MkdirTemp(scratch, "cdk.out-")
	if err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &context})
	built, err := stage.Build(app, context, stage.Image{RepoRoot: root, BuildArgs: testBuildArgs})
	if err != nil {
		return nil, err
	}
	s := &synthesized{outdir: outdir, built: map[string]stage.Built{}, templates: map[string]template{}, github: map[string]template{}, bootstrap: map[string]template{}, foundation: map[string]template{}}
	for _, b := range built {
		s.built[b.Settings.Name] = b
		s.templates[b.Settings.Name] = template(*assertions.Template_FromStack(b.Stack, nil).ToJSON())
		s.github[b.Settings.Name] = template(*assertions.Template_FromStack(b.GitHub, nil).ToJSON())
		s.bootstrap[b.Settings.Name] = template(*assertions.Template_FromStack(b.Bootstrap, nil).ToJSON())
		if b.Foundation != nil {
			s.foundation[b.Settings.Name] = template(*assertions.Template_FromStack(b.Foundation, nil).ToJSON())
		}
	}
	app.Synth(nil) // the root manifest too, as cdk synth writes it: readers take the stages' order from it
	return s, nil
}

// scratch holds this binary's synthesized apps; TestMain removes it.
var scratch = filepath.Join(os.TempDir(), fmt.Sprintf("keel-infra-test-%d", os.Getpid()))

var (
	defaultApp = sync.OnceValues(func() (*synthesized, error) { return synth(nil) })
	variantApp = sync.OnceValues(func() (*synthesized, error) { return synth(stagingVariant) })
)

// app is the app as `cdk synth` builds it from cdk.json, synthesized once per binary.
func app(t *testing.T) *synthesized { return synthesizedOnce(t, defaultApp) }

// variant is the app with stagingVariant's overrides, synthesized once per binary.
func variant(t *testing.T) *synthesized { return synthesizedOnce(t, variantApp) }

func synthesizedOnce(t *testing.T, once func() (*synthesized, error)) *synthesized {
	t.Helper()
	s, err := once()
	if err != nil {
		t.Fatalf("synth: %v", err)
	}
	return s
}

// template is a synthesized CloudFormation template.
type template map[string]any

// resources returns the resources of type typ by logical ID.
func (tp template) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tp["Resources"].(map[string]any) {
		if r := r.(map[string]any); r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// props returns the properties of the only resource of type typ outside the database
// (database_test.go checks the database's own, such as its dbsetup task definition).
func (tp template) props(t *testing.T, typ string) map[string]any {
	t.Helper()
	rs := outsideDatabase(tp.resources(typ))
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for _, r := range rs {
		return r["Properties"].(map[string]any)
	}
	return nil
}

// get walks a path of map keys and slice indexes; a missing step yields nil.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

// jsonOf is v as JSON with sorted keys, for comparisons and messages.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// hasProps runs an assertions-library match, turning its panic into a test failure.
func hasProps(t *testing.T, b stage.Built, typ string, props map[string]any) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s %s: %v", b.Settings.Name, typ, r)
		}
	}()
	assertions.Template_FromStack(b.Stack, nil).HasResourceProperties(jsii.String(typ), assertions.Match_ObjectLike(&props))
}
