package infra

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keelstack/keel/infra/reference"
	"github.com/keelstack/keel/test/internal/testenv"
)

// TestStagePictures: each stage's picture in docs/ is the one its synthesized templates draw
// today, and it shows every resource type they hold.
func TestStagePictures(t *testing.T) {
	testenv.Command(t, "dot", "scripts/install-tools graphviz")
	s := app(t)
	for _, stage := range []string{"dev", "staging", "prod"} {
		t.Run(stage, func(t *testing.T) {
			stacks, err := reference.ReadStage(s.outdir, stage)
			if err != nil {
				t.Fatal(err)
			}
			dot := reference.StagePicture(stage, stacks)
			if missing := reference.Undrawn(dot, reference.Types(stacks)); len(missing) > 0 {
				t.Errorf("the picture leaves out %v", missing)
			}
			for _, want := range []string{"internet -> ", "style=dashed", "label=\"runs as\""} {
				if !bytes.Contains(dot, []byte(want)) {
					t.Errorf("the picture has no %q edge", want)
				}
			}
			svg, err := reference.SVG(dot)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(testenv.RepoRoot(t), "docs", "stage-"+stage+".svg")
			if have, err := os.ReadFile(path); err != nil || !bytes.Equal(have, svg) {
				t.Errorf("docs/stage-%s.svg is stale: run make docs and commit it", stage)
			}
		})
	}
}

// TestUndrawnNamesTheType: a resource type the picture does not show is named.
func TestUndrawnNamesTheType(t *testing.T) {
	stacks := []reference.Stack{{Name: "Service", Resources: map[string]reference.Resource{
		"Topic": {Type: "AWS::SNS::Topic"},
	}}}
	dot := reference.StagePicture("dev", stacks)
	types := append(reference.Types(stacks), "AWS::RDS::DBCluster")
	if got := reference.Undrawn(dot, types); !slices.Equal(got, []string{"AWS::RDS::DBCluster"}) {
		t.Errorf("undrawn %v, want the cluster the picture lacks", got)
	}
}
