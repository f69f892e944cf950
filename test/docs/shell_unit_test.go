package docs

import (
	"slices"
	"testing"
)

func TestCommandsOf(t *testing.T) {
	got := commandsOf(`umask 077   # yours only
C=$(out ClusterName) && D=$(aws ecs list-service-deployments --cluster "$C" \
  --query 'a|b' --output text)
while [ "$(aws ecs describe-services --services x)" != 0 ]; do sleep 30; done
echo '#not a comment' | cut -f2`)
	want := []string{
		"umask 077",
		"C=$(out ClusterName)", "out ClusterName",
		`D=$(aws ecs list-service-deployments --cluster "$C"    --query 'a|b' --output text)`,
		`aws ecs list-service-deployments --cluster "$C"    --query 'a|b' --output text`,
		`while [ "$(aws ecs describe-services --services x)" != 0 ]`, "aws ecs describe-services --services x",
		"do sleep 30", "done",
		"echo '#not a comment'", "cut -f2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if w := words(`aws x --query 'a b' --c "$(out Y)"`); !slices.Equal(w, []string{"aws", "x", "--query", "a b", "--c", "$(out Y)"}) {
		t.Errorf("words %q", w)
	}
}
