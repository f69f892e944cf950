package stage

import (
	"github.com/keelstack/keel/infra/githubroles"
	"github.com/keelstack/keel/infra/settings"
)

// operatorProps point the read-only operator role at the stage's stacks and vault.
func operatorProps(s settings.Stage) githubroles.OperatorProps {
	p := githubroles.OperatorProps{Stage: s.Name, ServiceStack: StackName(s.Name)}
	if !s.Secrets.Imported() {
		names := s.FoundationNames()
		p.FoundationStack, p.VaultPrefix = names.Stack, names.Prefix
	}
	return p
}
