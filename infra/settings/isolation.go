package settings

import (
	"errors"
	"fmt"
	"strings"
)

// prodAccountAlone refuses prod in an account another stage deploys to. Each stage has its
// own bootstrap, boundary and tag guards (infra/bootstrap), but an account is one blast radius:
// account-wide settings, service quotas, untagged resources, whoever administers it. Sharing
// takes an explicit keel:prod.sharedAccountWithStages = true, which synth then shows as a
// warning on every synth. The documentation account of the defaults is exempt: nothing can be
// deployed to it, and the defaults must synthesize.
func prodAccountAlone(stages []Stage) error {
	var errs []error
	for _, s := range stages {
		if s.SharedAccountWithStages && s.Name != "prod" {
			errs = append(errs, fmt.Errorf("%s%s.sharedAccountWithStages = true: only prod's is read; remove it", ContextPrefix, s.Name))
		}
	}
	prod, sharing := prodSharing(stages)
	if prod != nil && len(sharing) > 0 && !prod.SharedAccountWithStages && prod.Account != ExampleAccount {
		errs = append(errs, fmt.Errorf("%sprod.account = %s is also the account of %s: a mistake or a compromised pipeline there could reach prod; give prod its own account, or set %sprod.sharedAccountWithStages = true to accept it (docs/security.md: Account layout)",
			ContextPrefix, prod.Account, strings.Join(sharing, " and "), ContextPrefix))
	}
	return errors.Join(errs...)
}

// prodSharing returns prod and the stages that use its account.
func prodSharing(stages []Stage) (*Stage, []string) {
	var prod *Stage
	for i := range stages {
		if stages[i].Name == "prod" {
			prod = &stages[i]
		}
	}
	if prod == nil {
		return nil, nil
	}
	var sharing []string
	for _, s := range stages {
		if s.Name != prod.Name && s.Account == prod.Account {
			sharing = append(sharing, s.Name)
		}
	}
	return prod, sharing
}
