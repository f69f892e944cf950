package infra

import (
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

// TestImageLabels: the container carries the image's version and commit as OCI labels, which
// keel releases shows for each deployment.
func TestImageLabels(t *testing.T) {
	a := app(t)
	for _, name := range settings.Names {
		props := a.templates[name].props(t, "AWS::ECS::TaskDefinition")
		got := jsonOf(get(props, "ContainerDefinitions", 0, "DockerLabels"))
		want := `{"org.opencontainers.image.revision":"` + testBuildArgs["COMMIT"] + `","org.opencontainers.image.version":"` + testBuildArgs["VERSION"] + `"}`
		if got != want {
			t.Errorf("%s: container labels %s, want %s", name, got, want)
		}
	}
}
